"""A first-come, first-served admission queue for one event loop.

Python 3.10's `asyncio.Semaphore` is not fair: `release()` wakes the oldest waiter, but a task
that calls `acquire()` before the woken one runs takes the free place, and the woken waiter,
finding none, queues again at the back. Under steady load (a reply goes out, the same client's
next message comes straight in) that happens often, and a message can be overtaken many times:
the queue's order, and so the latency of its slowest messages, becomes a lottery (fixed in
Python 3.11.1, gh-90155). `FairAdmission` hands a freed place straight to the oldest waiter.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class FairAdmission:
    """At most `places` holders at a time; the others wait in order of arrival."""

    def __init__(self, places: int) -> None:
        if places < 1:
            raise ValueError(f"places must be at least 1, not {places}")
        self._free = places
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for future in self._waiting if not future.done())

    async def acquire(self) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the place was handed over just as the waiter was cancelled
            else:
                self._discard(future)
            raise

    def release(self) -> None:
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(None)  # the place passes to it; the free count is unchanged
                return
        self._free += 1

    def _discard(self, future: asyncio.Future[None]) -> None:
        try:
            self._waiting.remove(future)
        except ValueError:
            pass

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
