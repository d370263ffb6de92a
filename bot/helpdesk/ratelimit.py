"""A small in-process sliding-window rate limiter.

Known limit of scaling out (issue 15, to be moved to Redis in a later issue): the counts live in
each process. With `helpdesk serve --workers N`, or N help desk machines behind a load balancer,
every process counts only the requests it happens to receive, so a limit of 5 admits up to 5 * N.
The status limit per client is keyed by the caller's address, which for the bot is the action
server's: all customers asking through one action server share that one budget.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allows at most `limit` events per key within any `window_seconds` period."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_seconds:
            events.popleft()
        if len(self._events) > 10_000:
            self._forget_idle(now)
        return events

    def _forget_idle(self, now: float) -> None:
        for key in [
            k for k, v in self._events.items() if not v or v[-1] <= now - self.window_seconds
        ]:
            del self._events[key]

    def is_limited(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def hit(self, key: str) -> bool:
        """Record one event; False when it is over the limit (and then it is not recorded)."""
        events = self._recent(key)
        if len(events) >= self.limit:
            return False
        events.append(self._clock())
        return True

    def reset(self, key: str) -> None:
        self._events.pop(key, None)
