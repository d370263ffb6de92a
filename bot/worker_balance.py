"""Keep the Rasa workers of one machine evenly loaded (issue #15).

With several workers (SANIC_WORKERS > 1) Sanic forks processes that share one listening socket:
the kernel gives each new connection to whichever worker accepts it first, and a keep-alive
connection then stays with that worker for as long as the client keeps it open. Nothing moves
work between workers afterwards. Under `make bench-load` (32 conversations over 32 keep-alive
connections) the two workers held 13 and 19 connections for the whole run: the busier one's
queue, not the CPU, set the 95th percentile.

`WorkerLoad` counts, in memory the workers share (made before Sanic forks them), the messages
each worker has admitted or queued. A worker that answers while it holds at least
`HANDOFF_MARGIN` more than the least loaded other worker closes that connection after the reply
(`Connection: close`); the client's next message opens a new connection, which a less busy
worker is the likelier to accept, being the one waiting for work. Nothing is lost: the reply is
complete, and HTTP clients open a new connection when the server closes one.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
from typing import Any

# Workers of one machine that can take part; a worker beyond these is simply not balanced.
MAX_WORKERS = 64
# Hand a connection off only when this worker holds this many more messages than another one:
# with 1, two workers nearly level would pass connections back and forth for nothing.
HANDOFF_MARGIN = 2


def _is_running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (a dead worker its master has not
    reaped yet still has a pid; without /proc, outside Linux, a zombie counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return True
    return state not in (b"Z", b"X")


class WorkerLoad:
    """Messages admitted or queued per worker process, shared by the workers of one machine.

    Make it in the parent before the workers are forked; each worker takes a slot on its first
    call. Only a worker writes its own count; the others read it, and a count read while it
    changes is off by one message at most.
    """

    def __init__(self, slots: int = MAX_WORKERS, margin: int = HANDOFF_MARGIN) -> None:
        context = multiprocessing.get_context("fork")
        self._pids = context.RawArray(ctypes.c_long, slots)
        self._counts = context.RawArray(ctypes.c_long, slots)
        self._claiming = context.Lock()
        self._margin = margin
        self._owner: tuple[int, int | None] = (0, None)  # (pid, its slot)

    def slot(self) -> int | None:
        """This process's slot, taken on first use (that of a worker no longer running if
        none is free); None when every slot is in use."""
        pid = os.getpid()
        owner_pid, slot = self._owner
        if owner_pid == pid:
            return slot
        with self._claiming:
            slot = next(
                (
                    i
                    for i, holder in enumerate(self._pids)
                    if holder == 0 or holder == pid or not _is_running(holder)
                ),
                None,
            )
            if slot is not None:
                self._pids[slot] = pid
                self._counts[slot] = 0
        self._owner = (pid, slot)
        return slot

    def enter(self) -> None:
        slot = self.slot()
        if slot is not None:
            self._counts[slot] += 1

    def leave(self) -> None:
        slot = self.slot()
        if slot is not None:
            self._counts[slot] -= 1

    def count(self) -> int:
        slot = self.slot()
        return 0 if slot is None else int(self._counts[slot])

    def should_hand_off(self) -> bool:
        """Whether this worker holds at least the margin more than another running worker."""
        slot = self.slot()
        if slot is None:
            return False
        mine = self._counts[slot]
        return any(
            pid and i != slot and mine - self._counts[i] >= self._margin and _is_running(pid)
            for i, pid in enumerate(self._pids)
        )


def attach(app: Any, load: WorkerLoad) -> None:
    """Give `app` (a Sanic app run with several workers) a slot per worker at start and the
    hand-off after each reply."""

    async def take_slot(app: Any, loop: Any) -> None:
        load.slot()

    async def hand_off_when_busier(request: Any, response: Any) -> None:
        stream = getattr(request, "stream", None)
        if stream is not None and load.should_hand_off():
            stream.keep_alive = False

    app.register_listener(take_slot, "before_server_start")
    app.register_middleware(hand_off_when_busier, "response")
