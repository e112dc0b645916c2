"""Receiver faults: damaged lines (bad checksums, cut sentences, line noise) and believable
but wrong sentences (position spikes, 0°/0° placeholders, a repeated epoch).

At most one fault per epoch, and only in the middle of a run of good fixes, so that each
fault has exactly one effect a gateway can be held to: one bad line, or one rejected fix.
"""

from __future__ import annotations

import random
from dataclasses import astuple, dataclass, fields

import numpy as np
import numpy.typing as npt

FAULT_KINDS = ("bad_checksum", "partial", "garbage", "spike", "zero", "duplicate")
LINE_FAULTS = ("bad_checksum", "partial", "garbage")  # one bad line each
CLEAN_BEFORE = 10  # epochs of good fixes a fault needs before it
_NOISE = bytes(b for b in range(0x21, 0x7F) if b not in b"$!#*") + bytes(range(0x80, 0x100))


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Probability per epoch of each fault."""

    bad_checksum: float = 0.002
    partial: float = 0.002
    garbage: float = 0.002
    spike: float = 0.0005
    zero: float = 0.0003
    duplicate: float = 0.001

    @classmethod
    def none(cls) -> FaultRates:
        """A flawless receiver."""
        return cls(*(0.0 for _ in fields(cls)))


def plan_faults(
    fix: npt.NDArray[np.bool_], rates: FaultRates, rng: random.Random
) -> list[str | None]:
    """The fault of each epoch (or None): only where the epoch and the ones before are good."""
    plan: list[str | None] = [None] * len(fix)
    weights = astuple(rates)
    quiet_until = 0
    for k in range(CLEAN_BEFORE, len(fix)):
        if k < quiet_until or not fix[k - CLEAN_BEFORE : k + 1].all():
            continue
        kind = _draw(rng.random(), weights)
        if kind is not None:
            plan[k] = kind
            quiet_until = k + 3  # the fixes after a fault are clean again before the next
    return plan


def _draw(u: float, weights: tuple[float, ...]) -> str | None:
    for kind, weight in zip(FAULT_KINDS, weights, strict=True):
        if u < weight:
            return kind
        u -= weight
    return None


def damage(lines: list[bytes], kind: str, rng: random.Random) -> list[bytes]:
    """One epoch's lines with one line fault applied."""
    if kind == "bad_checksum":
        return _bad_checksum(lines, rng)
    if kind == "partial":
        return _partial(lines, rng)
    if kind == "garbage":
        return _garbage(lines, rng)
    raise ValueError(f"{kind} is not a line fault")


def _bad_checksum(lines: list[bytes], rng: random.Random) -> list[bytes]:
    i = rng.randrange(len(lines))
    line = lines[i]
    star = line.index(b"*")
    if rng.random() < 0.5:  # a flipped bit on the wire changes a digit of the body
        digits = [j for j in range(1, star) if line[j : j + 1].isdigit()]
        j = rng.choice(digits)
        other = rng.choice([d for d in b"0123456789" if d != line[j]])
        damaged = line[:j] + bytes([other]) + line[j + 1 :]
    else:  # the checksum itself is hit
        given = int(line[star + 1 : star + 3], 16)
        wrong = (given + rng.randrange(1, 256)) % 256
        damaged = line[: star + 1] + f"{wrong:02X}".encode() + line[star + 3 :]
    return [*lines[:i], damaged, *lines[i + 1 :]]


def _partial(lines: list[bytes], rng: random.Random) -> list[bytes]:
    # Bytes lost on the wire: the sentence stops short, and either its line ends there or
    # the next sentence runs on in the same line.
    i = rng.randrange(len(lines))
    cut = lines[i][: rng.randrange(2, lines[i].index(b"*"))]
    return [*lines[:i], cut + (b"\r\n" if rng.random() < 0.5 else b""), *lines[i + 1 :]]


def _garbage(lines: list[bytes], rng: random.Random) -> list[bytes]:
    noise = bytes(rng.choice(_NOISE) for _ in range(rng.randint(4, 40)))
    i = rng.randint(0, len(lines))
    return [*lines[:i], noise + b"\r\n", *lines[i:]]
