"""Benchmark ticket creation over real HTTP: latency percentiles and throughput.

Starts `helpdesk serve` on 127.0.0.1 against a temporary SQLite file and a temporary
PostgreSQL database (created and dropped here), with a local SMTP sink, then posts tickets
from 1, 8 and 32 concurrent clients. This is a measurement, not a test.

    .venv/bin/python -m scripts.bench_helpdesk [--requests 200] [--out reports/bench.md]

Other scripts can call `run_benchmark()` and `markdown_table()`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from scripts.eval_bench import percentile
from tests.support.mail import smtp_server
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONCURRENCY = (1, 8, 32)
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class BenchResult:
    backend: str
    concurrency: int
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    throughput_rps: float


def _ms(latencies: Sequence[float], p: float) -> float:
    """The p-th percentile of the latencies (NaN when every request failed)."""
    value = percentile(latencies, p)
    return math.nan if value is None else value


@contextmanager
def _postgres_database() -> Iterator[str]:
    import psycopg2

    admin_dsn = os.environ.get("BENCH_POSTGRES_ADMIN_DSN", POSTGRES_ADMIN_DSN)
    name = f"helpdesk_bench_{secrets.token_hex(4)}"
    connection = psycopg2.connect(admin_dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


@contextmanager
def _sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as folder:
        yield f"sqlite:///{folder}/helpdesk.db"


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"helpdesk exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise TimeoutError(f"helpdesk did not answer {url}")


@contextmanager
def _helpdesk(database_url: str, smtp_port: int, token: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "HELPDESK_ENV": "development",  # a local benchmark: plain-HTTP cookies are fine
        "DATABASE_URL": database_url,
        "HELPDESK_SERVICE_TOKEN": token,
        "HELPDESK_SECRET_KEY": secrets.token_urlsafe(32),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
    }
    command = [sys.executable, "-m", "bot.helpdesk.cli", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/helpdesk/login", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ticket(number: int) -> dict[str, Any]:
    return {
        "type": "disclosure",
        "requester_name": f"Bench Customer {number}",
        "email": f"bench{number}@example.com",
        "service": "CASIO Music Site",
        "details": "Please tell me what personal information you hold about me.",
        "conversation_excerpt": [{"sender": "customer", "text": "what do you hold about me?"}],
    }


async def _load(
    url: str, token: str, concurrency: int, total: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {token}"}

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for number in counter:
            started = time.perf_counter()
            async with session.post(
                f"{url}/api/v1/tickets",
                json=_ticket(number),
                headers={**headers, "Idempotency-Key": secrets.token_hex(12)},
            ) as response:
                await response.read()
                if response.status != 201:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _bench_backend(
    backend: str, database_url: str, concurrency_levels: Sequence[int], requests: int
) -> list[BenchResult]:
    token = secrets.token_urlsafe(32)
    results = []
    with smtp_server() as smtp, _helpdesk(database_url, smtp.port, token) as url:
        asyncio.run(_load(url, token, 4, 20))  # warm-up: connections, caches
        for concurrency in concurrency_levels:
            latencies, errors, elapsed = asyncio.run(_load(url, token, concurrency, requests))
            results.append(
                BenchResult(
                    backend=backend,
                    concurrency=concurrency,
                    requests=len(latencies),
                    errors=errors,
                    p50_ms=_ms(latencies, 50),
                    p95_ms=_ms(latencies, 95),
                    p99_ms=_ms(latencies, 99),
                    throughput_rps=len(latencies) / elapsed,
                )
            )
    return results


def run_benchmark(
    backends: Sequence[str] = ("sqlite", "postgresql"),
    concurrency_levels: Sequence[int] = DEFAULT_CONCURRENCY,
    requests: int = 200,
) -> list[BenchResult]:
    """Ticket creation figures per backend and concurrency level (`requests` per level)."""
    databases = {"sqlite": _sqlite_database, "postgresql": _postgres_database}
    results: list[BenchResult] = []
    for backend in backends:
        with databases[backend]() as database_url:
            results.extend(_bench_backend(backend, database_url, concurrency_levels, requests))
    return results


def markdown_table(results: Sequence[BenchResult]) -> str:
    lines = [
        "| backend | clients | requests | errors | p50 ms | p95 ms | p99 ms | tickets/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.concurrency} | {r.requests} | {r.errors} | {r.p50_ms:.1f} "
            f"| {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.throughput_rps:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200, help="tickets per concurrency level")
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(DEFAULT_CONCURRENCY))
    parser.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 10_000:
        parser.error("--requests must be between 1 and 10000")
    table = markdown_table(run_benchmark(args.backends, args.concurrency, args.requests))
    print(table, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
