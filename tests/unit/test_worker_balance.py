"""Several Rasa workers share their load counts, and a busier one hands connections off."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

from sanic import Sanic, response

from bot.worker_balance import WorkerLoad, _is_running, attach

FORK = multiprocessing.get_context("fork")


def _hold_in_another_worker(load: WorkerLoad, messages: int) -> tuple[Any, Any, Any]:
    """A forked worker that admits `messages` and keeps them until told to stop."""
    ready, stop = FORK.Event(), FORK.Event()

    def worker() -> None:
        for _ in range(messages):
            load.enter()
        ready.set()
        stop.wait(10)
        for _ in range(messages):
            load.leave()

    process = FORK.Process(target=worker)
    process.start()
    assert ready.wait(10)
    return process, stop, ready


def test_a_worker_two_messages_busier_than_another_hands_off() -> None:
    load = WorkerLoad()
    process, stop, _ = _hold_in_another_worker(load, 1)
    try:
        for _ in range(2):
            load.enter()
        assert load.count() == 2
        assert not load.should_hand_off()  # 2 against 1: level enough
        load.enter()
        assert load.should_hand_off()  # 3 against 1
        for _ in range(3):
            load.leave()
        assert not load.should_hand_off()
    finally:
        stop.set()
        process.join(10)


def test_the_less_busy_worker_keeps_its_connections() -> None:
    load = WorkerLoad()
    process, stop, _ = _hold_in_another_worker(load, 5)
    try:
        load.enter()
        assert not load.should_hand_off()
        load.leave()
    finally:
        stop.set()
        process.join(10)


def test_a_worker_that_has_exited_does_not_count() -> None:
    load = WorkerLoad()
    process, stop, _ = _hold_in_another_worker(load, 0)
    stop.set()
    process.join(10)
    for _ in range(3):
        load.enter()
    assert not load.should_hand_off()


def _state(pid: int) -> bytes:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[1].split()[0]


def test_a_dead_worker_not_yet_reaped_is_not_running() -> None:
    process = FORK.Process(target=lambda: None)
    process.start()
    pid = process.pid
    assert pid is not None
    try:
        deadline = time.monotonic() + 10
        while _state(pid) != b"Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(pid) == b"Z"  # dead, its parent has not waited for it yet
        assert not _is_running(pid)
    finally:
        process.join(10)
    assert not _is_running(pid)
    assert _is_running(os.getpid())


def test_a_worker_alone_never_hands_off() -> None:
    load = WorkerLoad()
    for _ in range(10):
        load.enter()
    assert not load.should_hand_off()


def _app(name: str, hand_off: bool) -> Sanic:
    class Load(WorkerLoad):
        def should_hand_off(self) -> bool:
            return hand_off

    app = Sanic(name)

    @app.post("/webhook")
    async def webhook(request: Any) -> Any:
        return response.json([{"text": "hi"}])

    attach(app, Load())
    return app


def test_a_busier_worker_closes_the_connection_after_a_complete_reply() -> None:
    _, reply = _app("busier_worker", hand_off=True).test_client.post("/webhook")
    assert reply.status == 200
    assert reply.json == [{"text": "hi"}]
    assert reply.headers["connection"] == "close"


def test_a_level_worker_keeps_the_connection_alive() -> None:
    _, reply = _app("level_worker", hand_off=False).test_client.post("/webhook")
    assert reply.status == 200
    assert reply.headers["connection"] == "keep-alive"
