"""Named scenarios, built deterministically from a seed."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from firmware_sim.scenario.types import Scenario

ScenarioFactory = Callable[[int], Scenario]

# Filled in by the scenario modules; keys are what `--scenario NAME` accepts.
SCENARIOS: dict[str, ScenarioFactory] = {}


def register(name: str) -> Callable[[ScenarioFactory], ScenarioFactory]:
    """Decorator that makes a scenario factory available by name."""

    def add(factory: ScenarioFactory) -> ScenarioFactory:
        SCENARIOS[name] = factory
        return factory

    return add


def build(name: str, seed: int) -> Scenario:
    """Build a named scenario; raise KeyError listing the known names."""
    _load_builtin()
    try:
        factory = SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS)) or "none"
        raise KeyError(f"unknown scenario {name!r}; known: {known}") from None
    return factory(seed)


def _load_builtin() -> None:
    # Importing the modules registers their scenarios; done lazily to keep CLI start-up light.
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


BUILTIN_MODULES: tuple[str, ...] = (
    "firmware_sim.scenario.dock",
    "firmware_sim.scenario.day",
    "firmware_sim.scenario.impinj_log",
)
