"""Frozen dataclasses to and from plain JSON: nested dataclasses, tuples, optionals, literals."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Literal, Self, TypeVar, Union

T = TypeVar("T")


class DocumentError(ValueError):
    """JSON data that does not fit the document's shape; the message says where."""


def to_data(obj: object) -> Any:
    """Plain JSON data of a dataclass tree (tuples become lists)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


def from_data(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass from to_data's output; DocumentError if it does not fit."""
    if not isinstance(data, dict):
        raise DocumentError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = set(data) - set(names)
    if unknown:
        raise DocumentError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    missing = [n for n in names if n not in data]
    if missing:
        raise DocumentError(f"{cls.__name__}: missing fields {missing}")
    return cls(**{n: _convert(hints[n], data[n], f"{cls.__name__}.{n}") for n in names})


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_data(tp, value)
    if origin is tuple:
        return _tuple(typing.get_args(tp), value, where)
    if origin in (Union, types.UnionType):
        return _optional(typing.get_args(tp), value, where)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise DocumentError(f"{where}: {value!r} is not one of {typing.get_args(tp)}")
        return value
    if origin is dict:
        return {k: _convert(typing.get_args(tp)[1], v, where) for k, v in _object(value, where)}
    return _scalar(tp, value, where)


def _tuple(args: tuple[Any, ...], value: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise DocumentError(f"{where}: expected a list, got {type(value).__name__}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(args[0], v, where) for v in value)
    if len(args) != len(value):
        raise DocumentError(f"{where}: expected {len(args)} values, got {len(value)}")
    return tuple(_convert(a, v, where) for a, v in zip(args, value, strict=True))


def _optional(args: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and type(None) in args:
        return None
    real = [a for a in args if a is not type(None)]
    if len(real) != 1:
        raise DocumentError(f"{where}: only X | None unions are supported")
    return _convert(real[0], value, where)


def _object(value: Any, where: str) -> list[tuple[str, Any]]:
    if not isinstance(value, dict):
        raise DocumentError(f"{where}: expected an object, got {type(value).__name__}")
    return list(value.items())


def _scalar(tp: Any, value: Any, where: str) -> Any:
    # JSON has one number type: an integral float stands for an int, an int for a float.
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(tp, type) and not isinstance(value, tp):
        raise DocumentError(f"{where}: expected {tp.__name__}, got {type(value).__name__}")
    return value


class JsonDoc:
    """Mixin for frozen dataclasses exchanged as JSON documents."""

    def to_json(self, *, indent: int | None = None) -> str:
        """The document as JSON text."""
        return json.dumps(to_data(self), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """The document read back from to_json's output."""
        return from_data(cls, json.loads(text))
