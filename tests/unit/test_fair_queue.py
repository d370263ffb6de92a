"""The admission queue in front of Rasa's message handling serves messages in arrival order."""

from __future__ import annotations

import asyncio

import pytest

from bot.fair_queue import FairAdmission


async def test_a_woken_waiter_is_not_overtaken_by_a_newcomer() -> None:
    queue = FairAdmission(1)
    order: list[str] = []
    await queue.acquire()  # the place is taken

    async def take(name: str) -> None:
        await queue.acquire()
        order.append(name)
        queue.release()

    waiter = asyncio.create_task(take("waiter"))
    await asyncio.sleep(0)  # the waiter is queued
    queue.release()  # ...and woken; a newcomer arrives before it runs
    newcomer = asyncio.create_task(take("newcomer"))
    await asyncio.gather(waiter, newcomer)
    assert order == ["waiter", "newcomer"]


async def test_at_most_the_given_number_hold_a_place_in_arrival_order() -> None:
    queue = FairAdmission(2)
    holding = 0
    most = 0
    started: list[int] = []

    async def work(number: int) -> None:
        nonlocal holding, most
        async with queue:
            started.append(number)
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.005)
            holding -= 1

    await asyncio.gather(*(work(n) for n in range(10)))
    assert most == 2
    assert started == list(range(10))


async def test_a_cancelled_waiter_gives_up_its_turn_and_loses_no_place() -> None:
    queue = FairAdmission(1)
    await queue.acquire()
    cancelled = asyncio.create_task(queue.acquire())
    later = asyncio.create_task(queue.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    queue.release()
    await asyncio.wait_for(later, 1)
    assert queue.waiting == 0
    queue.release()
    await asyncio.wait_for(queue.acquire(), 1)  # the place is free again


async def test_a_waiter_cancelled_as_its_place_arrives_passes_the_place_on() -> None:
    queue = FairAdmission(1)
    await queue.acquire()
    first = asyncio.create_task(queue.acquire())
    second = asyncio.create_task(queue.acquire())
    await asyncio.sleep(0)
    queue.release()  # the place is handed to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)


def test_a_queue_needs_at_least_one_place() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FairAdmission(0)
