"""The queue in front of the connection pool: at most `size` requests hold a connection, the rest
wait in arrival order, each at most `timeout` seconds.

An `asyncio.Semaphore` under `asyncio.timeout` does the same but arms and disarms a timer for
every request that waits, which under load costs more than the rest of the queueing. Here all
waiters share one timeout, so their deadlines come in arrival order: a single timer, set for the
oldest waiter's deadline, is enough, and it is rarely re-armed.
"""

from __future__ import annotations

import asyncio
from collections import deque


class GateTimeout(Exception):
    """No slot became free within the timeout."""


class Gate:
    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._free = size
        self._waiters: deque[tuple[float, asyncio.Future[None]]] = deque()  # (deadline, future), oldest first
        self._timer: asyncio.TimerHandle | None = None

    def locked(self) -> bool:
        return self._free == 0 or bool(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting in line for one; GateTimeout after `timeout` seconds."""
        if not self.locked():
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.append((loop.time() + self.timeout, future))
        if self._timer is None:
            self._arm(loop)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.release()  # handed a slot just as the waiter was cancelled: pass it on
            raise

    def release(self) -> None:
        """Give the slot to the oldest waiter still waiting, or free it."""
        while self._waiters:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)
                return
        self._free += 1

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = loop.call_at(self._waiters[0][0], self._expire, loop)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail the waiters whose deadline passed, then wait for the next deadline, if any."""
        self._timer = None
        now = loop.time()
        while self._waiters and self._waiters[0][0] <= now:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_exception(GateTimeout())
        while self._waiters and self._waiters[0][1].done():  # handed a slot or cancelled already
            self._waiters.popleft()
        if self._waiters:
            self._arm(loop)
