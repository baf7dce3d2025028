"""Unit tests for api.engine.gate: the queue in front of the connection pool."""

from __future__ import annotations

import asyncio

import pytest

from api.engine.gate import Gate, GateTimeout


def test_slots_then_waiters_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        gate = Gate(2, timeout=5)
        await gate.acquire()
        await gate.acquire()
        assert gate.locked()
        order: list[int] = []

        async def waiter(n: int) -> None:
            await gate.acquire()
            order.append(n)

        tasks = [asyncio.create_task(waiter(n)) for n in range(3)]
        await asyncio.sleep(0)
        for _ in range(3):
            gate.release()
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        gate.release()
        gate.release()
        assert not gate.locked()
        return order

    assert asyncio.run(scenario()) == [0, 1, 2]


def test_a_waiter_times_out_and_the_next_one_still_gets_its_slot() -> None:
    async def scenario() -> None:
        gate = Gate(1, timeout=0.05)
        await gate.acquire()
        with pytest.raises(GateTimeout):
            await gate.acquire()
        late = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0.01)
        gate.release()
        await late  # got the slot before its deadline
        assert gate.locked()
        gate.release()
        assert not gate.locked()

    asyncio.run(scenario())


def test_timeouts_follow_each_waiters_own_deadline() -> None:
    async def scenario() -> list[str]:
        gate = Gate(1, timeout=0.1)
        await gate.acquire()
        outcomes: list[str] = []

        async def waiter(name: str) -> None:
            try:
                await gate.acquire()
                outcomes.append(f"{name} got it")
            except GateTimeout:
                outcomes.append(f"{name} timed out")

        first = asyncio.create_task(waiter("first"))
        await asyncio.sleep(0.06)
        second = asyncio.create_task(waiter("second"))
        await asyncio.sleep(0.06)  # first's deadline passed, second's not yet
        gate.release()
        await asyncio.gather(first, second)
        return outcomes

    assert asyncio.run(scenario()) == ["first timed out", "second got it"]


def test_a_cancelled_waiter_gives_up_its_place() -> None:
    async def scenario() -> None:
        gate = Gate(1, timeout=5)
        await gate.acquire()
        cancelled = asyncio.create_task(gate.acquire())
        waiting = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.sleep(0)
        gate.release()
        await waiting
        gate.release()
        assert not gate.locked()

    asyncio.run(scenario())


def test_a_waiter_cancelled_after_being_handed_a_slot_passes_it_on() -> None:
    async def scenario() -> None:
        gate = Gate(1, timeout=5)
        await gate.acquire()
        handed = asyncio.create_task(gate.acquire())
        waiting = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        gate.release()  # the slot goes to `handed`…
        handed.cancel()  # …which is cancelled before it runs again
        with pytest.raises(asyncio.CancelledError):
            await handed
        await waiting  # so the slot went on to the next waiter
        gate.release()
        assert not gate.locked()

    asyncio.run(scenario())
