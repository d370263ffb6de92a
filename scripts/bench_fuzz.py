"""`make bench-fuzz`: a fuzz campaign against the real stack, reported as a benchmark (issue 16).

Starts the stack in its production configuration, as the e2e tests do (tests/e2e/conftest.py):
the help desk on a fresh PostgreSQL database with an in-process SMTP sink, the action server, and
`rasa run` with credentials.yml and endpoints.production.yml (conversations in another fresh
PostgreSQL database, locks in Redis). Then, with a fixed seed (scripts/fuzz_inputs.py):

1. asks a normal question 20 times on the idle stack (the usual latency);
2. sends one 100,000-character message of each shape, a normal question at the same moment, and
   times both (goals: the long one < 1 s; the normal one no slower than when it is sent at the
   same moment as an ordinary question, i.e. the long message costs no more than a short one);
3. sends ~10,000 generated inputs to the Rasa webhook and every help desk route from a few
   concurrent clients, while a normal question is asked every half second (goal: p95 < 1 s);

and writes reports/bench-fuzz.md: the count of 5xx answers (goal 0), requests that got no
answer at all, the slowest answers, and the timings above. Everything is stopped and the
databases dropped at the end.

    python -m scripts.bench_fuzz [--out reports] [--seed 16] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import math
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from scripts import fuzz_inputs
from scripts.fuzz_inputs import CSRF, HUGE, REFERENCE, SHAPES, Flow, Request
from tests.support.databases import temporary_postgres_database
from tests.support.ports import free_port
from tests.support.processes import ServerProcess, start_server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "policy-assistant.tar.gz"
NORMAL_QUESTION = "Can I turn off cookies?"
NORMAL_ANSWER_MARK = "Source: [Use of cookies]"
# Sent at the same moment as NORMAL_QUESTION: what any other customer's message costs it.
ORDINARY_QUESTION = "What rights do I have over my personal data?"
REDIS_DB = 12  # not the e2e tests' 7: both may run on one machine
GOAL_SECONDS = 1.0
TIMEOUT_SECONDS = 60.0
# Rasa answers some payloads with no message by design (a restart, a session start).
SILENT_BY_DESIGN = ("payload /restart", "payload /session_start")


@dataclass(frozen=True)
class Result:
    target: str
    route: str
    kind: str
    status: int | None  # None: no HTTP answer (timeout, connection error)
    seconds: float
    error: str = ""
    replied: bool | None = None  # Rasa only: did a 200 carry at least one bot message?


@dataclass(frozen=True)
class Timing:
    label: str
    status: int | None
    seconds: float
    reply: str


@dataclass
class Endpoints:
    rasa: str
    helpdesk: str
    service_token: str
    staff_token: str = ""
    reference: str = ""
    csrf: str = ""


# --- the stack --------------------------------------------------------------------------------


def _run(name: str, *args: str, env: dict[str, str], stdin: str = "") -> None:
    subprocess.run(
        [str(BIN / name), *args],
        input=stdin.encode(),
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


@contextmanager
def stack(model: Path, logs: Path) -> Iterator[tuple[Endpoints, str, str]]:
    """The production-shaped stack on free ports; yields endpoints, staff name and password."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            return "250 OK"

    # Full-strength secrets, as production needs them (>= 43 characters).
    token, password = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    port = {name: free_port() for name in ("rasa", "actions", "helpdesk", "smtp")}
    with ExitStack() as cleanup:
        smtp = Controller(Sink(), hostname="127.0.0.1", port=port["smtp"])
        smtp.start()
        cleanup.callback(smtp.stop)
        tickets_db = cleanup.enter_context(temporary_postgres_database("fuzz_tickets"))
        tracker_db = cleanup.enter_context(temporary_postgres_database("fuzz_tracker"))
        helpdesk_env = {
            "HELPDESK_ENV": "development",  # a local benchmark stack: plain-HTTP cookies are fine
            "DATABASE_URL": tickets_db,
            "HELPDESK_SERVICE_TOKEN": token,
            "HELPDESK_SECRET_KEY": secrets.token_urlsafe(32),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port["smtp"]),
            "RASA_URL": f"http://127.0.0.1:{port['rasa']}",
        }
        _run("helpdesk", "migrate", env=helpdesk_env)
        _run(
            "helpdesk", "create-staff", "--username", "fuzz-staff", "--password-stdin",
            env=helpdesk_env, stdin=password,
        )  # fmt: skip
        action_token = secrets.token_urlsafe(32)
        rasa_env = {
            "RASA_TELEMETRY_ENABLED": "false",
            "ACTION_SERVER_TOKEN": action_token,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{port['actions']}/webhook",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": "5432",
            "TRACKER_DB_NAME": tracker_db.rsplit("/", 1)[1],
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379",
            "REDIS_DB": str(REDIS_DB),
            "TRACKER_ENCRYPTION_KEY": secrets.token_urlsafe(32),  # the encrypted tracker store
        }
        helpdesk_url = f"http://127.0.0.1:{port['helpdesk']}"
        servers: list[tuple[ServerProcess, str, float]] = []
        for name, command, env, ready, timeout in [
            (
                "helpdesk",
                ["helpdesk", "serve", "--host", "127.0.0.1", "--port", str(port["helpdesk"])],
                helpdesk_env,
                f"http://127.0.0.1:{port['helpdesk']}/helpdesk/login",
                60.0,
            ),
            (
                "actions",
                ["python", "-m", "actions.server", "--port", str(port["actions"])],
                {"HELPDESK_URL": helpdesk_url, "HELPDESK_SERVICE_TOKEN": token,
                 "ACTION_SERVER_TOKEN": action_token},  # fmt: skip
                f"http://127.0.0.1:{port['actions']}/health",
                120.0,
            ),
            (
                "rasa",
                [
                    "rasa", "run", "--model", str(model), "--endpoints", "endpoints.production.yml",
                    "--credentials", "credentials.yml", "--cors", "*", "--port", str(port["rasa"]),
                ],
                rasa_env,
                f"http://127.0.0.1:{port['rasa']}/",
                300.0,
            ),
        ]:  # fmt: skip
            server = start_server(
                f"fuzz-{name}", [str(BIN / command[0]), *command[1:]], env, logs, ROOT
            )
            cleanup.callback(server.stop)
            servers.append((server, ready, timeout))
        for server, ready, timeout in servers:
            server.wait_until_answering(ready, timeout)
        endpoints = Endpoints(
            rasa=f"http://127.0.0.1:{port['rasa']}",
            helpdesk=f"http://127.0.0.1:{port['helpdesk']}",
            service_token=token,
        )
        yield endpoints, "fuzz-staff", password


async def prepare(
    endpoints: Endpoints, staff: str, password: str, console: aiohttp.ClientSession
) -> None:
    """A staff API token, a logged-in console session with its CSRF token, one real ticket."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{endpoints.helpdesk}/api/v1/staff/sessions",
            json={"username": staff, "password": password},
        ) as resp:
            endpoints.staff_token = (await resp.json())["token"]
        ticket = fuzz_inputs.valid_ticket()
        async with session.post(
            f"{endpoints.helpdesk}/api/v1/tickets",
            json=ticket,
            headers={
                "Authorization": f"Bearer {endpoints.service_token}",
                "Idempotency-Key": "fuzz-setup",
            },
        ) as resp:
            endpoints.reference = (await resp.json())["reference"]
    async with console.get(f"{endpoints.helpdesk}/helpdesk/login") as resp:
        login_token = _csrf(await resp.text())
    async with console.post(
        f"{endpoints.helpdesk}/helpdesk/login",
        data={"csrf_token": login_token, "username": staff, "password": password},
    ) as resp:
        endpoints.csrf = _csrf(await resp.text())  # the queue page, after the redirect


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the console page")
    return match.group(1)


# --- sending ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _reply_failed_text() -> str:
    """The apology the channel sends when handling a message failed (domain.yml), read once."""
    import yaml

    from bot.chat.channel import REPLY_FAILED_RESPONSE

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return str(domain["responses"][REPLY_FAILED_RESPONSE][0]["text"])


def _bot_replied(content_type: str, raw: bytes) -> bool:
    """Did the bot answer? The channel's apology for a failed turn is no answer either."""
    if "event-stream" in content_type:
        return bool(raw.strip())
    try:
        import json

        replies = json.loads(raw)
    except ValueError:
        return False
    return isinstance(replies, list) and any(
        isinstance(r, dict)
        and (r.get("text") or r.get("buttons"))
        and r.get("text") != _reply_failed_text()
        for r in replies
    )


async def send(
    request: Request,
    endpoints: Endpoints,
    plain: aiohttp.ClientSession,
    console: aiohttp.ClientSession,
) -> Result:
    base = endpoints.rasa if request.target == "rasa" else endpoints.helpdesk
    path = request.path.replace(REFERENCE, endpoints.reference)
    body = request.body
    if body is not None:
        body = body.replace(REFERENCE.encode(), endpoints.reference.encode())
        body = body.replace(CSRF.encode(), endpoints.csrf.encode())
    headers = dict(request.headers)
    if body is not None and request.content_type:
        headers["Content-Type"] = request.content_type
    if request.auth == "service":
        headers["Authorization"] = f"Bearer {endpoints.service_token}"
    elif request.auth == "staff":
        headers["Authorization"] = f"Bearer {endpoints.staff_token}"
    session = console if request.auth == "console" else plain
    started = time.monotonic()
    try:
        async with session.request(
            request.method,
            URL(base + path, encoded=True),
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        ) as resp:
            error = ""
            try:
                raw = await resp.read()
            except (aiohttp.ClientError, OSError) as cut:
                # The server answered (a 413) and closed before the whole body was sent.
                raw, error = b"", f"answered, then closed: {type(cut).__name__}"
            seconds = time.monotonic() - started
            replied = None
            if request.target == "rasa" and resp.status == 200:
                replied = _bot_replied(resp.headers.get("Content-Type", ""), raw)
            return Result(
                request.target, request.route, request.kind, resp.status, seconds, error, replied
            )
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, OSError) as failure:
        return Result(
            request.target,
            request.route,
            request.kind,
            None,
            time.monotonic() - started,
            f"{type(failure).__name__}: {failure}"[:200],
        )


async def ask(
    session: aiohttp.ClientSession, endpoints: Endpoints, text: str, label: str
) -> Timing:
    body = {"sender": f"fuzz-probe-{uuid.uuid4().hex}", "message": text}
    started = time.monotonic()
    try:
        async with session.post(
            f"{endpoints.rasa}/webhooks/rest/webhook",
            json=body,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        ) as resp:
            replies = await resp.json(content_type=None)
            seconds = time.monotonic() - started
            texts = " ".join(str(r.get("text", "")) for r in replies) if resp.status == 200 else ""
            return Timing(label, resp.status, seconds, texts)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, OSError) as error:
        return Timing(label, None, time.monotonic() - started, f"{type(error).__name__}")


async def campaign(
    flows: Sequence[Flow],
    endpoints: Endpoints,
    console: aiohttp.ClientSession,
    workers: int,
    probe_interval: float,
) -> tuple[list[Result], list[Timing], float]:
    """Run every flow with `workers` clients per target; probe a normal question meanwhile."""
    queues: dict[str, asyncio.Queue[Flow]] = {"rasa": asyncio.Queue(), "helpdesk": asyncio.Queue()}
    for flow in flows:
        queues[flow.requests[0].target].put_nowait(flow)
    results: list[Result] = []
    probes: list[Timing] = []
    done = asyncio.Event()
    total = fuzz_inputs.request_count(list(flows))

    async def worker(queue: asyncio.Queue[Flow], plain: aiohttp.ClientSession) -> None:
        while not queue.empty():
            flow = queue.get_nowait()
            for request in flow.requests:
                results.append(await send(request, endpoints, plain, console))
                if len(results) % 500 == 0:
                    print(f"bench-fuzz: {len(results):,}/{total:,} requests", flush=True)

    async def probe(session: aiohttp.ClientSession) -> None:
        while not done.is_set():
            probes.append(await ask(session, endpoints, NORMAL_QUESTION, "during the campaign"))
            try:
                await asyncio.wait_for(done.wait(), probe_interval)
            except asyncio.TimeoutError:
                pass

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as plain:
        probe_task = asyncio.create_task(probe(plain))
        await asyncio.gather(
            *(worker(queue, plain) for queue in queues.values() for _ in range(workers))
        )
        done.set()
        await probe_task
    return results, probes, time.monotonic() - started


# --- the report ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:90]


def render_report(
    results: Sequence[Result],
    idle: Sequence[Timing],
    during: Sequence[Timing],
    huge: Sequence[Timing],
    meta: dict[str, str],
    log_errors: dict[str, int] | None = None,
    beside_huge: Sequence[Timing] = (),
    beside_ordinary: Sequence[Timing] = (),
) -> str:
    """The Markdown report; `beside_huge[i]` is the normal question sent with `huge[i]`, and
    `beside_ordinary` the same question sent each time with an ordinary one (the baseline)."""
    server_errors = [r for r in results if r.status is not None and r.status >= 500]
    unanswered = [r for r in results if r.status is None]
    silent = [r for r in results if r.replied is False and r.kind not in SILENT_BY_DESIGN]
    slowest = sorted(results, key=lambda r: r.seconds, reverse=True)[:5]
    during_ok = [t.seconds for t in during if t.status == 200 and NORMAL_ANSWER_MARK in t.reply]
    idle_ok = [t.seconds for t in idle if t.status == 200 and NORMAL_ANSWER_MARK in t.reply]
    p95_during = percentile(during_ok, 0.95)
    huge_worst = max((t.seconds for t in huge), default=float("nan"))
    huge_met = huge_worst < GOAL_SECONDS and all(t.status == 200 for t in huge)
    idle_worst = max(idle_ok, default=float("nan"))
    beside_ok = [
        t.seconds for t in beside_huge if t.status == 200 and NORMAL_ANSWER_MARK in t.reply
    ]
    beside_worst = max(beside_ok, default=float("nan"))
    baseline_ok = [
        t.seconds for t in beside_ordinary if t.status == 200 and NORMAL_ANSWER_MARK in t.reply
    ]
    baseline_worst = max(baseline_ok, default=float("nan"))
    beside_met = len(beside_ok) == len(beside_huge) > 0 and beside_worst <= baseline_worst
    lines = [
        "# Fuzz campaign (`make bench-fuzz`)",
        "",
        " · ".join(f"{key}: {value}" for key, value in meta.items()),
        "",
        "| goal | figure | met |",
        "|---|---:|:---:|",
        f"| 5xx answers over {len(results):,} inputs: 0 | {len(server_errors)} "
        f"| {'yes' if not server_errors else 'no'} |",
        f"| no answer at all (timeout, connection closed): 0 | {len(unanswered)} "
        f"| {'yes' if not unanswered else 'no'} |",
        f"| normal question during the campaign, p95 < 1 s | {_ms(p95_during)} "
        f"(n={len(during_ok)}/{len(during)}; idle p95 {_ms(percentile(idle_ok, 0.95))}) "
        f"| {'yes' if p95_during < GOAL_SECONDS and len(during_ok) == len(during) else 'no'} |",
        f"| 100,000-character message of any shape answered < 1 s | worst {_ms(huge_worst)} "
        f"| {'yes' if huge_met else 'no'} |",
        f"| a normal question sent with each of them, no slower than sent with an ordinary "
        f"question (worst {_ms(baseline_worst)}; alone: max {_ms(idle_worst)}) "
        f"| worst {_ms(beside_worst)} (n={len(beside_ok)}/{len(beside_huge)}) "
        f"| {'yes' if beside_met else 'no'} |",
        f"| slowest answer of the campaign | {_ms(slowest[0].seconds) if slowest else '-'} | |",
        "",
        "## Inputs and answers",
        "",
        "| target | route | inputs | 2xx | 3xx | 4xx | 5xx | no answer | slowest |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_route: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        by_route.setdefault((result.target, result.route), []).append(result)
    for (target, route), group in sorted(by_route.items()):
        classes = Counter((r.status // 100) if r.status else 0 for r in group)
        lines.append(
            f"| {target} | `{route}` | {len(group):,} | {classes[2]:,} | {classes[3]:,} "
            f"| {classes[4]:,} | {classes[5]:,} | {classes[0]:,} "
            f"| {_ms(max(r.seconds for r in group))} |"
        )
    lines += [
        "",
        "## The slowest answers",
        "",
        "| route | input | status | time |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| `{r.route}` | {_cell(r.kind)} | {r.status} | {_ms(r.seconds)} |" for r in slowest]
    lines += [
        "",
        "## 100,000-character messages, each with a normal question sent at the same moment",
        "",
        "| shape | status | time | the normal question's time | reply |",
        "|---|---:|---:|---:|---|",
    ]
    beside_times = [_ms(t.seconds) for t in beside_huge] + ["-"] * len(huge)
    lines += [
        f"| {t.label} | {t.status} | {_ms(t.seconds)} | {beside} | {_cell(t.reply)} |"
        for t, beside in zip(huge, beside_times)
    ]
    lines += [
        "",
        f"## A normal question (\u201c{NORMAL_QUESTION}\u201d), a new conversation each time",
        "",
        "| when | asked | answered correctly | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, timings, ok in (
        ("idle, before", idle, idle_ok),
        ("during the campaign", during, during_ok),
    ):
        lines.append(
            f"| {label} | {len(timings)} | {len(ok)} | {_ms(percentile(ok, 0.5))} "
            f"| {_ms(percentile(ok, 0.95))} | {_ms(max(ok, default=float('nan')))} |"
        )
    if log_errors is not None:
        lines += [
            "",
            "## Errors the servers logged (lines with ERROR or Traceback)",
            "",
            "| server | lines |",
            "|---|---:|",
        ]
        lines += [f"| {name} | {count} |" for name, count in sorted(log_errors.items())]
    for title, group in (
        ("5xx answers", server_errors),
        ("Requests with no answer", unanswered),
        (
            "Webhook answers (200) with no bot message, or only the apology for a failed turn",
            silent,
        ),
    ):
        lines += ["", f"## {title}: {len(group)}"]
        if group:
            lines += ["", "| route | input | status | error |", "|---|---|---:|---|"]
            kinds = Counter((r.route, r.kind, r.status, r.error[:80]) for r in group)
            lines += [
                f"| `{route}` | {_cell(kind)} ({count}x) | {status} | {_cell(error)} |"
                for (route, kind, status, error), count in kinds.most_common(20)
            ]
    return "\n".join(lines) + "\n"


# --- main -----------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
            memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "date": dt.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores{memory}",
        "load average at the start": f"{load:.1f}",
    }


def logged_errors(logs: Path) -> dict[str, int]:
    """How many lines of each server's log mention an error or a traceback."""
    counts = {}
    for log in sorted(logs.glob("fuzz-*.log")):
        text = log.read_text(encoding="utf-8", errors="replace")
        counts[log.stem.removeprefix("fuzz-")] = sum(
            1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line
        )
    return counts


Outcome = tuple[
    list[Result],
    list[Timing],
    list[Timing],
    list[Timing],
    dict[str, str],
    list[Timing],
    list[Timing],
]


async def run(args: argparse.Namespace, endpoints: Endpoints, staff: str, password: str) -> Outcome:
    flows = fuzz_inputs.campaign(args.seed, args.scale)
    meta = {
        **machine(),
        "seed": str(args.seed),
        "commit": _git_commit(),
        "stack": "PostgreSQL tracker and tickets, Redis locks",
        "clients": f"{args.workers} per target",
    }
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as console:
        await prepare(endpoints, staff, password, console)
        async with aiohttp.ClientSession() as session:
            await ask(session, endpoints, NORMAL_QUESTION, "warm-up")
            idle = [await ask(session, endpoints, NORMAL_QUESTION, "idle") for _ in range(20)]
            huge, beside_huge = [], []
            for shape, unit in {**SHAPES, "words": "privacy ", "emoji": "😀"}.items():
                text = (unit * HUGE)[:HUGE]
                long_one, normal = await asyncio.gather(
                    ask(session, endpoints, text, shape),
                    ask(session, endpoints, NORMAL_QUESTION, f"beside {shape}"),
                )
                huge.append(long_one)
                beside_huge.append(normal)
            beside_ordinary = []
            for _ in range(len(huge)):
                _, normal = await asyncio.gather(
                    ask(session, endpoints, ORDINARY_QUESTION, "ordinary"),
                    ask(session, endpoints, NORMAL_QUESTION, "beside ordinary"),
                )
                beside_ordinary.append(normal)
        print(f"bench-fuzz: sending {fuzz_inputs.request_count(flows):,} inputs", flush=True)
        results, during, seconds = await campaign(
            flows, endpoints, console, args.workers, args.probe_interval
        )
    meta["campaign"] = f"{seconds:.0f} s"
    return results, idle, during, huge, meta, beside_huge, beside_ordinary


def _git_commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return completed.stdout.strip() or "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the ~10,000 inputs")
    parser.add_argument("--workers", type=int, default=2, help="concurrent clients per target")
    parser.add_argument("--probe-interval", type=float, default=0.5)
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"bench-fuzz: no model at {args.model}: run `make train`", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    logs = args.out / "bench-fuzz-logs"
    print("bench-fuzz: starting the stack (Rasa takes a while to load the model) ...", flush=True)
    with stack(args.model, logs) as (endpoints, staff, password):
        results, idle, during, huge, meta, beside_huge, beside_ordinary = asyncio.run(
            run(args, endpoints, staff, password)
        )
    report = render_report(
        results, idle, during, huge, meta, logged_errors(logs), beside_huge, beside_ordinary
    )
    path = args.out / "bench-fuzz.md"
    path.write_text(report, encoding="utf-8")
    print(report)
    print(f"bench-fuzz: wrote {path} (server logs in {logs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
