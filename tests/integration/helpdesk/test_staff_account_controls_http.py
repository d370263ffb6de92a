"""Disabling a staff account and its TOTP second factor, over real HTTP against `helpdesk serve`
with the `helpdesk` CLI run beside it on the same database (issue #13)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import pytest
import sqlalchemy as sa

from bot.helpdesk import tables
from bot.helpdesk.db import create_sync_engine
from tests.support.ports import free_port
from tests.support.processes import ServerProcess, start_server

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a correct long password"
CLI = [sys.executable, "-m", "bot.helpdesk.cli"]


@dataclass(frozen=True)
class Helpdesk:
    url: str
    env: dict[str, str]
    server: ServerProcess

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], text=True, env={**os.environ, **self.env}, cwd=ROOT,
            capture_output=True, check=False,
        )  # fmt: skip


@pytest.fixture
def helpdesk(tmp_path: Path) -> Iterator[Helpdesk]:
    env = {
        "HELPDESK_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "HELPDESK_SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-rules-here-1234",
    }
    subprocess.run(
        [*CLI, "create-staff", "--username", "alice", "--password-stdin"],
        input=PASSWORD, text=True, env={**os.environ, **env}, cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    port = free_port()
    server = start_server("helpdesk", [*CLI, "serve", "--port", str(port)], env, tmp_path, ROOT)
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/helpdesk/login", timeout=60)
        yield Helpdesk(f"http://127.0.0.1:{port}", env, server)
    finally:
        server.stop()


async def api_login(session: aiohttp.ClientSession, url: str, **extra: str) -> tuple[int, Any]:
    body = {"username": "alice", "password": PASSWORD, **extra}
    async with session.post(f"{url}/api/v1/staff/sessions", json=body) as resp:
        return resp.status, await resp.json()


async def console_login(url: str, code: str | None = None) -> tuple[int, str]:
    """The console form, with its CSRF token and nonce cookie, in a fresh cookie jar."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{url}/helpdesk/login") as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        assert token is not None
        form = {"csrf_token": token.group(1), "username": "alice", "password": PASSWORD}
        if code is not None:
            form["code"] = code
        async with browser.post(f"{url}/helpdesk/login", data=form, allow_redirects=False) as resp:
            return resp.status, await resp.text()


def stored_totp_secret(database_url: str, username: str) -> str | None:
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            users = tables.staff_users
            query = sa.select(users.c.totp_secret).where(users.c.username == username)
            value: str | None = conn.scalar(query)
            return value
    finally:
        engine.dispose()


def wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits that are not the code of this, the previous or the next time step."""
    valid = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def test_a_disabled_account_loses_its_sessions_and_cannot_log_in(
    helpdesk: Helpdesk,
) -> None:
    async with aiohttp.ClientSession() as session:
        status, opened = await api_login(session, helpdesk.url)
        assert status == 201
        bearer = {"Authorization": f"Bearer {opened['token']}"}
        _, wrong_password = await api_login(session, helpdesk.url, password="not the password")

        disabled = helpdesk.cli("disable-staff", "--username", "alice")
        assert disabled.returncode == 0 and "closed 1 session" in disabled.stdout

        async with session.get(f"{helpdesk.url}/api/v1/tickets", headers=bearer) as resp:
            assert resp.status == 401
        status, refused = await api_login(session, helpdesk.url)
        assert (status, refused) == (401, wrong_password)  # the same generic refusal
        console_status, console_page = await console_login(helpdesk.url)
        assert console_status == 401 and "Wrong username, password" in console_page

        assert helpdesk.cli("enable-staff", "--username", "alice").returncode == 0
        status, _ = await api_login(session, helpdesk.url)
        assert status == 201
    assert '"reason": "account_disabled"' in helpdesk.server.log_path.read_text()
    assert helpdesk.cli("disable-staff", "--username", "nobody").returncode == 1


async def test_with_totp_the_api_login_needs_a_current_unused_code(helpdesk: Helpdesk) -> None:
    enrolled = helpdesk.cli("totp-enrol", "--username", "alice")
    assert enrolled.returncode == 0, enrolled.stderr
    uri = re.search(r"otpauth://totp/\S+", enrolled.stdout)
    assert uri is not None
    totp = pyotp.parse_uri(uri.group(0))
    assert isinstance(totp, pyotp.TOTP)
    stored = stored_totp_secret(helpdesk.env["DATABASE_URL"], "alice")
    assert stored and totp.secret not in stored  # sealed, never the secret itself

    async with aiohttp.ClientSession() as session:
        without, _ = await api_login(session, helpdesk.url)
        wrong, _ = await api_login(session, helpdesk.url, code=wrong_code(totp))
        code = totp.now()
        right, _ = await api_login(session, helpdesk.url, code=code)
        reused, _ = await api_login(session, helpdesk.url, code=code)
        assert (without, wrong, right, reused) == (401, 401, 201, 401)

        assert helpdesk.cli("totp-disable", "--username", "alice").returncode == 0
        password_only, _ = await api_login(session, helpdesk.url)
        assert password_only == 201
    log = helpdesk.server.log_path.read_text()
    assert '"reason": "totp_code_wrong"' in log and '"reason": "totp_code_reused"' in log
    assert totp.secret not in log


async def test_with_totp_the_console_form_needs_the_code(helpdesk: Helpdesk) -> None:
    enrolled = helpdesk.cli("totp-enrol", "--username", "alice")
    secret = re.search(r"secret: (\S+)", enrolled.stdout)
    assert secret is not None
    without, _ = await console_login(helpdesk.url)
    with_code, _ = await console_login(helpdesk.url, pyotp.TOTP(secret.group(1)).now())
    assert (without, with_code) == (401, 303)


async def test_wrong_codes_count_in_the_login_limit(helpdesk: Helpdesk) -> None:
    enrolled = helpdesk.cli("totp-enrol", "--username", "alice")
    secret = re.search(r"secret: (\S+)", enrolled.stdout)
    assert secret is not None
    totp = pyotp.TOTP(secret.group(1))
    async with aiohttp.ClientSession() as session:
        wrong = [
            (await api_login(session, helpdesk.url, code=wrong_code(totp)))[0] for _ in "12345"
        ]
        after, _ = await api_login(session, helpdesk.url, code=totp.now())
    assert (wrong, after) == ([401] * 5, 429)


async def test_a_code_that_is_not_text_is_refused_naming_the_field(helpdesk: Helpdesk) -> None:
    async with aiohttp.ClientSession() as session:
        body = {"username": "alice", "password": PASSWORD, "code": 123456}
        async with session.post(f"{helpdesk.url}/api/v1/staff/sessions", json=body) as resp:
            status, answer = resp.status, await resp.json()
    assert status == 422 and "code" in answer["fields"]
