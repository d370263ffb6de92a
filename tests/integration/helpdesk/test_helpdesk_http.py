"""The served help desk over real HTTP: concurrent retries with one key make one ticket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.integration.helpdesk.conftest import SERVICE, SERVICE_TOKEN, ticket_body
from tests.support.ports import free_port
from tests.support.processes import start_server

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def served_helpdesk(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "HELPDESK_SERVICE_TOKEN": SERVICE_TOKEN,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
    }
    server = start_server(
        "helpdesk-http",
        [str(ROOT / ".venv/bin/helpdesk"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        tmp_path,
        ROOT,
    )
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/helpdesk/login", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def test_concurrent_retries_over_http_return_one_ticket(served_helpdesk: str) -> None:
    headers = {**SERVICE, "Idempotency-Key": "concurrent-http"}

    async def post(session: aiohttp.ClientSession) -> tuple[int, str]:
        async with session.post(
            f"{served_helpdesk}/api/v1/tickets", json=ticket_body(), headers=headers
        ) as resp:
            return resp.status, (await resp.json())["reference"]

    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(*(post(session) for _ in range(12)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 11 + [201]
    assert len({reference for _, reference in results}) == 1


async def test_a_body_over_the_size_limit_is_refused_with_413(served_helpdesk: str) -> None:
    body = json.dumps(ticket_body(details="x" * 1_100_000)).encode()
    headers = {**SERVICE, "Idempotency-Key": "too-big", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{served_helpdesk}/api/v1/tickets", data=body, headers=headers
        ) as resp:
            assert resp.status == 413
