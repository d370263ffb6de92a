from __future__ import annotations

from bot.helpdesk.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_applies_per_key_within_the_window() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=2, window_seconds=60, clock=clock)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a")] == [True, True, False]
    assert limiter.hit("b") is True
    clock.now += 59
    assert limiter.hit("a") is False
    clock.now += 1.5
    assert limiter.hit("a") is True


def test_reset_clears_a_key() -> None:
    limiter = SlidingWindowLimiter(limit=1, window_seconds=60, clock=Clock())
    limiter.hit("a")
    assert limiter.is_limited("a")
    limiter.reset("a")
    assert not limiter.is_limited("a")
