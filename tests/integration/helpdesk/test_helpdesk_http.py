"""The served help desk over real HTTP: concurrent retries with one key make one ticket."""

from __future__ import annotations

import asyncio
import json
import socket
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


def raw_http(url: str, request_line: bytes) -> bytes:
    """Send one request exactly as given (no client encodes it) and read the whole answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            request_line + b"\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("method", [b"GET", b"POST"])
def test_a_url_with_raw_non_ascii_bytes_gets_400_not_a_dropped_connection(
    served_helpdesk: str, method: bytes
) -> None:
    target = "/api/v1/tickets/κφφςοευκωηιανπλλωναχ".encode()
    answer = raw_http(served_helpdesk, method + b" " + target + b" HTTP/1.1")

    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"percent-encoded" in rest


def test_a_normal_url_after_the_fix_is_routed_as_before(served_helpdesk: str) -> None:
    answer = raw_http(served_helpdesk, b"GET /api/v1/tickets/PR-0000-0000 HTTP/1.1")

    assert answer.startswith(b"HTTP/1.1 401"), answer[:300]
