"""Run a command while sampling the resident memory of its whole process tree (Linux /proc).

psutil is not a dependency, so the tree is walked through /proc/<pid>/stat (parent ids) and the
RSS read from /proc/<pid>/statm. Peak memory is the largest sum over the tree seen while sampling.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

PROC = Path("/proc")


@dataclass(frozen=True)
class RunMeasurement:
    command: list[str]
    returncode: int
    seconds: float
    peak_rss_bytes: int


def parent_ids(proc_root: Path = PROC) -> dict[int, int]:
    """pid -> parent pid of every process readable under /proc."""
    parents: dict[int, int] = {}
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) is in parentheses and may hold spaces: split after it
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(pid: int, parents: Mapping[int, int]) -> set[int]:
    """pid and every process below it."""
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found = {pid}
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def rss_bytes(pid: int, proc_root: Path = PROC) -> int:
    try:
        resident_pages = int((proc_root / str(pid) / "statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def tree_rss_bytes(pid: int, proc_root: Path = PROC) -> int:
    return sum(rss_bytes(p, proc_root) for p in descendants(pid, parent_ids(proc_root)))


def run_measured(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    interval_seconds: float = 0.25,
    log_path: Path | None = None,
) -> RunMeasurement:
    """Run command to its end; wall time and the peak RSS of its process tree."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), env=dict(env) if env else None, stdout=log, stderr=subprocess.STDOUT
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss_bytes(process.pid))
            time.sleep(interval_seconds)
        seconds = time.perf_counter() - started
    finally:
        if log_path and not isinstance(log, int):
            log.close()
    return RunMeasurement(
        command=list(command),
        returncode=process.returncode,
        seconds=seconds,
        peak_rss_bytes=peak,
    )
