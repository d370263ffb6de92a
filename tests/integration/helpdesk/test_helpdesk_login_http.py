"""Staff login under attack, over real HTTP against `helpdesk serve` (issue #13): concurrent
wrong passwords cannot race past the limit, logging out through the API ends the session, and an
idle session ends at its idle deadline."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest

from tests.support.ports import free_port
from tests.support.processes import start_server

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a correct long password"


@pytest.fixture
def helpdesk_url(tmp_path: Path) -> Iterator[str]:
    """A fresh server per test: its login limits start empty."""
    work = tmp_path
    env = {"HELPDESK_ENV": "development", "DATABASE_URL": f"sqlite:///{work / 'h.db'}"}
    cli = [sys.executable, "-m", "bot.helpdesk.cli"]
    subprocess.run(
        [*cli, "create-staff", "--username", "alice", "--password-stdin"],
        input=PASSWORD, text=True, env={**os.environ, **env}, cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    port = free_port()
    server = start_server(
        "helpdesk", [*cli, "serve", "--port", str(port)], env, log_dir=work, cwd=ROOT
    )
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/helpdesk/login", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def test_forty_concurrent_wrong_logins_give_at_most_five_answers(helpdesk_url: str) -> None:
    async with aiohttp.ClientSession() as session:

        async def attempt() -> int:
            async with session.post(
                f"{helpdesk_url}/api/v1/staff/sessions",
                json={"username": "bob", "password": "wrong password"},
            ) as resp:
                return resp.status

        statuses = await asyncio.gather(*(attempt() for _ in range(40)))
    assert sum(status != 429 for status in statuses) <= 5
    assert set(statuses) <= {401, 429}


async def log_in(session: aiohttp.ClientSession, helpdesk_url: str) -> dict[str, str]:
    """alice's bearer header, from a login over the API."""
    login = await session.post(
        f"{helpdesk_url}/api/v1/staff/sessions", json={"username": "alice", "password": PASSWORD}
    )
    assert login.status == 201, await login.text()
    return {"Authorization": f"Bearer {(await login.json())['token']}"}


async def test_logout_by_api_ends_the_session(helpdesk_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        headers = await log_in(session, helpdesk_url)
        before = await session.get(f"{helpdesk_url}/api/v1/tickets", headers=headers)
        logout = await session.delete(f"{helpdesk_url}/api/v1/staff/sessions", headers=headers)
        after = await session.get(f"{helpdesk_url}/api/v1/tickets", headers=headers)
    assert (before.status, logout.status, after.status) == (200, 204, 401)


def _session_times(database: Path) -> tuple[datetime, datetime]:
    with sqlite3.connect(database) as db:
        created, expires = db.execute(
            "SELECT created_at, expires_at FROM staff_sessions"
        ).fetchone()
    return datetime.fromisoformat(created), datetime.fromisoformat(expires)


async def test_an_idle_session_ends_after_thirty_minutes_not_at_its_lifetime(
    helpdesk_url: str, tmp_path: Path
) -> None:
    database = tmp_path / "h.db"
    async with aiohttp.ClientSession() as session:
        headers = await log_in(session, helpdesk_url)
        in_use = await session.get(f"{helpdesk_url}/api/v1/tickets", headers=headers)

        created, expires = _session_times(database)
        assert expires - created <= timedelta(minutes=31), "idle deadline, not the 8-hour lifetime"
        # Thirty minutes without a request: the stored deadline passes.
        with sqlite3.connect(database) as db:
            db.execute(
                "UPDATE staff_sessions SET expires_at = ?",
                # as SQLAlchemy stores UTC times in SQLite: no offset
                (
                    (datetime.now(timezone.utc) - timedelta(seconds=1))
                    .replace(tzinfo=None)
                    .isoformat(" "),
                ),
            )
        idle = await session.get(f"{helpdesk_url}/api/v1/tickets", headers=headers)
    assert (in_use.status, idle.status) == (200, 401)
