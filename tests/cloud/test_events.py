"""The event bus: bounded per subscriber, drops counted, publishers never wait."""

from __future__ import annotations

import asyncio
import threading

import pytest

from cloud.events import EventBus


def run(coroutine: object) -> object:
    """Run a coroutine on a fresh event loop."""
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_subscribers_get_what_they_asked_for() -> None:
    async def scenario() -> list[tuple[str, int]]:
        bus = EventBus(buffer=10)
        with bus.subscribe(["receiving."]) as receiving, bus.subscribe() as everything:
            bus.publish("receiving.session.opened", {"n": 1})
            bus.publish("shipping.loaded", {"n": 2})
            got = [await receiving.get(), await everything.get(), await everything.get()]
        assert bus.subscribers == 0
        return [(m.topic, m.data["n"]) for m in got if m]

    assert run(scenario()) == [
        ("receiving.session.opened", 1),
        ("receiving.session.opened", 1),
        ("shipping.loaded", 2),
    ]


def test_a_slow_subscriber_loses_the_oldest_and_the_loss_is_counted() -> None:
    drops: list[int] = []

    async def scenario() -> tuple[list[int], int, int]:
        bus = EventBus(buffer=3, on_drop=drops.append)
        with bus.subscribe() as slow:
            for n in range(10):
                bus.publish("t", {"n": n})  # returns at once although nobody reads
            kept = []
            for _ in range(3):
                message = await slow.get()
                assert message is not None
                kept.append(message.data["n"])
            return kept, slow.dropped, slow.take_dropped()

    assert run(scenario()) == ([7, 8, 9], 7, 7)
    assert sum(drops) == 7


def test_publish_from_a_worker_thread_reaches_the_loop() -> None:
    async def scenario() -> list[int]:
        bus = EventBus(buffer=100)
        with bus.subscribe() as sub:

            def produce() -> None:
                for n in range(5):
                    bus.publish("t", {"n": n})

            worker = threading.Thread(target=produce)
            worker.start()
            got = []
            for _ in range(5):
                message = await asyncio.wait_for(sub.get(), 10)
                assert message is not None
                got.append(message.data["n"])
            worker.join()
            return got

    assert run(scenario()) == [0, 1, 2, 3, 4]


def test_closing_the_bus_ends_every_subscription() -> None:
    async def scenario() -> object:
        bus = EventBus(buffer=5)
        sub = bus.subscribe()
        waiter = asyncio.ensure_future(sub.get())
        await asyncio.sleep(0)
        bus.close()
        return await asyncio.wait_for(waiter, 10)

    assert run(scenario()) is None


def test_a_bus_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        EventBus(buffer=1)
