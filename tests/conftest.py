"""The tests' environment: local defaults are allowed (HELPDESK_ENV=development) for every
process the tests start, as `make run` does; tests of the production refusals remove it.

`make test` runs pytest in two processes (pytest-xdist, `--dist loadgroup`). Each test module
stays whole in one process, so a module's fixtures (a Rasa agent, an action server) start once;
the end-to-end modules share one process, so their session-wide stack starts once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HELPDESK_ENV", "development")

END_TO_END = Path(__file__).resolve().parent / "e2e"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        in_whole_stack = END_TO_END in Path(str(item.path)).parents
        group = "whole-stack" if in_whole_stack else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
