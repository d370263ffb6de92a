from __future__ import annotations

import asyncio

from bot.helpdesk.ratelimit import memory_limit


async def test_the_limit_applies_per_key() -> None:
    limit = memory_limit("t", 2, 60)
    assert [await limit.hit("a"), await limit.hit("a"), await limit.hit("a")] == [True, True, False]
    assert await limit.hit("b") is True


async def test_reset_clears_a_key() -> None:
    limit = memory_limit("t", 1, 60)
    await limit.hit("a")
    assert await limit.is_limited("a")
    await limit.reset("a")
    assert not await limit.is_limited("a")


async def test_concurrent_hits_never_pass_the_limit() -> None:
    limit = memory_limit("t", 5, 60)
    results = await asyncio.gather(*(limit.hit("a") for _ in range(40)))
    assert sum(results) == 5
