"""Rate limits through the `limits` library: moving windows kept in Redis when REDIS_URL is set
(so every help desk worker shares them), in process memory otherwise.

Each `RateLimit` is one rule ("5 per 300 seconds") under a name; `hit(key)` records one event
atomically and says whether it was within the limit, so concurrent requests cannot all pass.
"""

from __future__ import annotations

from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

MEMORY = "async+memory://"


def limits_storage(redis_url: str | None) -> Any:
    """Redis at `redis_url` (redis://host:port/db), or memory when None."""
    if not redis_url:
        return storage_from_string(MEMORY)
    scheme, sep, rest = redis_url.partition("://")
    if not sep or scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, not {redis_url!r}")
    return storage_from_string(f"async+{scheme}://{rest}")


class RateLimit:
    """At most `limit` events per key within any `window_seconds` (a moving window)."""

    def __init__(self, name: str, limit: int, window_seconds: float, storage: Any) -> None:
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds
        self._item = RateLimitItemPerSecond(limit, max(1, int(window_seconds)))
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, key: str) -> bool:
        """Record one event; False when it is over the limit (and then it is not recorded)."""
        return bool(await self._limiter.hit(self._item, self.name, key))

    async def is_limited(self, key: str) -> bool:
        return not await self._limiter.test(self._item, self.name, key)

    async def reset(self, key: str) -> None:
        await self._storage.clear(self._item.key_for(self.name, key))


def memory_limit(name: str, limit: int, window_seconds: float) -> RateLimit:
    """A limit in this process's memory (unit tests, a single worker)."""
    return RateLimit(name, limit, window_seconds, storage_from_string(MEMORY))
