"""The conversation lock store shared by several Rasa processes, against the real Redis.

Several OS processes (as several Sanic workers or machines would be) use one conversation's
lock at the same moment: every ticket number is issued once, the holders never overlap, and
nothing is left in Redis afterwards.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.stores.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.redis

REDIS_DB = 8  # the e2e stack flushes db 7; these tests only delete their own keys
PROCESSES = 4


def _store(prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=6379, db=REDIS_DB, key_prefix=prefix)


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"test{secrets.token_hex(4)}"
    yield name
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def _issue_many(prefix: str, conversation: str, count: int, start: Any, out: Any) -> None:
    store = _store(prefix)
    start.wait()
    out.put([store.issue_ticket(conversation) for _ in range(count)])


def _hold_in_turn(prefix: str, conversation: str, turns: int, start: Any, log_key: str) -> None:
    store = _store(prefix)
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    me = str(multiprocessing.current_process().pid)

    async def run() -> None:
        for _ in range(turns):
            async with store.lock(conversation):
                client.rpush(log_key, f"enter {me}")
                await asyncio.sleep(0.005)
                client.rpush(log_key, f"leave {me}")

    start.wait()
    asyncio.run(run())


def test_concurrent_processes_never_get_the_same_ticket(prefix: str) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    out = context.Queue()
    per_process = 25
    processes = [
        context.Process(target=_issue_many, args=(prefix, "c1", per_process, start, out))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    numbers = [number for _ in processes for number in out.get(timeout=60)]
    for process in processes:
        process.join(10)

    assert sorted(numbers) == list(range(PROCESSES * per_process))


def test_holders_in_different_processes_never_overlap(prefix: str) -> None:
    log_key = f"{prefix}:log"
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    turns = 8
    processes = [
        context.Process(target=_hold_in_turn, args=(prefix, "c2", turns, start, log_key))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    log = [entry.decode() for entry in client.lrange(log_key, 0, -1)]
    assert len(log) == 2 * PROCESSES * turns
    for enter, leave in zip(log[::2], log[1::2]):
        assert enter.startswith("enter ") and leave == "leave " + enter.split()[1], log
    assert not client.exists(f"{prefix}:lock:c2"), "the lock key stays behind"


async def test_a_held_lock_has_an_expiry_and_is_gone_after_use(prefix: str) -> None:
    store = _store(prefix)
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    key = f"{prefix}:lock:c3"
    async with store.lock("c3"):
        assert 0 < client.ttl(key) <= 60 + 60 + 1
    assert not client.exists(key)


async def test_a_queued_message_waits_for_the_lock_briefly_not_a_second(prefix: str) -> None:
    store = _store(prefix)
    released_at: list[float] = []

    async def first() -> None:
        async with store.lock("c4"):
            await asyncio.sleep(0.1)
            released_at.append(time.monotonic())

    async def second() -> float:
        await asyncio.sleep(0.01)
        async with store.lock("c4"):
            return time.monotonic()

    _, acquired_at = await asyncio.gather(first(), second())
    assert 0 <= acquired_at - released_at[0] < 0.5
