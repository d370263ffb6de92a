"""Peak memory of a command's whole process tree, read from /proc."""

from __future__ import annotations

import os
import sys

from scripts.eval_process import descendants, run_measured, tree_rss_bytes


def test_descendants_follow_parent_links_down_only() -> None:
    parents = {2: 1, 3: 2, 4: 2, 5: 9}

    assert descendants(1, parents) == {1, 2, 3, 4}
    assert descendants(3, parents) == {3}


def test_tree_rss_of_this_process_is_at_least_its_own() -> None:
    assert tree_rss_bytes(os.getpid()) > 0


def test_run_measured_sees_a_child_that_holds_memory() -> None:
    holds_50_mib = (
        "import time; b = bytearray(50 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1)"
    )

    measured = run_measured([sys.executable, "-c", holds_50_mib], interval_seconds=0.05)

    assert measured.returncode == 0
    assert measured.peak_rss_bytes > 50 * 2**20
    assert measured.seconds >= 1.0
