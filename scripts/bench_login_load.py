"""Benchmark: does the help desk keep serving while staff logins are checked? (issue #13)

Starts `helpdesk serve` (SQLite, development settings) and measures GET /helpdesk/login
latency alone, then while 20 concurrent logins with random usernames run (Argon2 on each).
Before the fix Argon2 ran on the event loop and a GET went from ~17 ms to ~1 s. A
measurement, not a test:

    .venv/bin/python -m scripts.bench_login_load [--gets 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from scripts.eval_bench import percentile
from tests.support.ports import free_port
from tests.support.processes import start_server

ROOT = Path(__file__).resolve().parents[1]


async def _gets(url: str, count: int) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            start = time.perf_counter()
            async with session.get(url) as resp:
                await resp.read()
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.02)
    return latencies


async def _logins(base: str, count: int) -> list[int]:
    async with aiohttp.ClientSession() as session:

        async def one() -> int:
            body = {"username": secrets.token_hex(6), "password": secrets.token_hex(8)}
            async with session.post(f"{base}/api/v1/staff/sessions", json=body) as resp:
                return resp.status

        return list(await asyncio.gather(*(one() for _ in range(count))))


async def _measure(base: str, gets: int) -> tuple[list[float], list[float], list[int]]:
    page = f"{base}/helpdesk/login"
    await _gets(page, 5)  # warm up
    alone = await _gets(page, gets)
    loaded, statuses = await asyncio.gather(_gets(page, gets), _logins(base, 20))
    return alone, loaded, statuses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--gets", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        env = {"HELPDESK_ENV": "development", "DATABASE_URL": f"sqlite:///{work}/h.db"}
        server = start_server(
            "helpdesk", [sys.executable, "-m", "bot.helpdesk.cli", "serve", "--port", str(port)],
            {**os.environ, **env}, Path(work), ROOT,
        )  # fmt: skip
        try:
            server.wait_until_answering(f"http://127.0.0.1:{port}/helpdesk/login", 60)
            alone, loaded, statuses = asyncio.run(_measure(f"http://127.0.0.1:{port}", args.gets))
        finally:
            server.stop()
    for name, values in (("alone", alone), ("during 20 logins", loaded)):
        ms = [v * 1000 for v in values]
        p50, p95 = percentile(ms, 50) or 0.0, percentile(ms, 95) or 0.0
        print(
            f"GET /helpdesk/login {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(ms):.1f} ms"
        )
    print(f"login answers: {sorted(set(statuses))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
