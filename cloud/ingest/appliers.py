"""Appliers of event kinds beyond portal events, each in its own service module.

A module in APPLIER_MODULES exposes `KIND` (a protocol.topics.Kind) and
`apply(tx, gateway, events) -> list[(topic, data)]` (notices for the live stream). The handler
claims the event IDs first and passes only new events, inside the message's transaction.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from cloud.services.inbound import Tx
from cloud.store.models import Gateway
from protocol.messages import WireModel
from protocol.topics import Kind

Notice = tuple[str, dict[str, Any]]
Applier = Callable[[Tx, Gateway, Sequence[WireModel]], list[Notice]]

APPLIER_MODULES: tuple[str, ...] = ("cloud.services.transit", "cloud.services.conditions")


@functools.cache
def appliers() -> dict[Kind, Applier]:
    """Kind -> applier of every registered module (imported once)."""
    found: dict[Kind, Applier] = {}
    for name in APPLIER_MODULES:
        module = importlib.import_module(name)
        found[Kind(module.KIND)] = module.apply
    return found
