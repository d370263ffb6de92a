"""Faults without loss (issue #15): kill parts of the production deployment while customers file
requests, then compare what customers were told with what the help desk stored.

The deployment is `make run-prod`'s (scripts/load_stack.py `prod-2`: PostgreSQL tracker and
tickets, Redis locks, 2 workers each of Rasa, the action server and the help desk), with a private
`redis-server` (no persistence) instead of the machine's shared one, so that Redis can be killed.
Simulated customers (scripts/bench_load.py's conversations, mostly request forms ending in
Confirm, some status checks) run in a closed loop. A customer whose message gets no usable answer
(connection error, timeout, 5xx, an empty reply, or the chat's apology that it could not
answer) sends it again every few seconds, as a person
pressing send again would, and gives up after `GIVE_UP_SECONDS`; told that the request could not
be recorded, they press "Try again" a few times.

Faults, round robin, each `--rounds` times, the next one only after recovery and a gap of load:

- `helpdesk`: SIGKILL of the help desk (every worker), then start it again;
- `actions`: the same for the action server;
- `rasa-worker`: SIGKILL of one of Rasa's two worker processes. Sanic 21.12's master does not
  start a new worker, so the other serves alone for `WORKER_ALONE_SECONDS`; then the Rasa service
  is killed and started again (its second worker comes back only that way);
- `postgres`: `pg_terminate_backend` of every connection to the deployment's two databases;
- `redis`: SIGKILL of the private redis-server, down for `REDIS_DOWN_SECONDS`, then started again
  (empty: every lock and rate-limit window is gone).

Counted: requests confirmed (a PR-XXXX-XXXX reference in the reply) vs tickets stored, lost
(confirmed, not stored), duplicated (more than one ticket for one request: each request has its
own email), stored but never confirmed, replies to Confirm that neither gave a reference nor said
it failed, 5xx answers, timeouts, empty replies, and per fault the conversations it interrupted
and whether they continued (a real reply after the last error).

    python -m scripts.bench_faults [--customers 10] [--rounds 5] [--gap 10] [--out reports]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from scripts.bench_load import (
    CLIENT_TIMEOUT_SECONDS,
    CONFIRM,
    POLICY_QUESTIONS,
    REFERENCE,
    Answer,
    Customer,
    Ledger,
    TicketCount,
    Turn,
    button_payload,
    conversation_script,
    percentile,
    post_message,
    reply_text,
    ticket_count,
    turn_kind,
)
from scripts.load_stack import DEPLOYMENTS, ROOT, DeploymentStack

FAULTS = ("helpdesk", "actions", "rasa-worker", "postgres", "redis")
RETRY_PAUSE_SECONDS = 2.0  # a customer sends an unanswered message again after this
GIVE_UP_SECONDS = 300.0  # ... until this long after the first try: the conversation is stuck
TRY_AGAIN_PAUSE_SECONDS = 3.0  # told "could not record", the customer presses Try again after
TRY_AGAIN_LIMIT = 5
WORKER_ALONE_SECONDS = 10.0
REDIS_DOWN_SECONDS = 2.0
PROBE_TIMEOUT_SECONDS = 240.0


def fault_kind(conversation_number: int) -> int:
    """bench_load's conversation kinds: 3 request forms (1), then a status check (2)."""
    return 2 if conversation_number % 4 == 3 else 1


def schedule(faults: Sequence[str], rounds: int) -> list[str]:
    """Every fault `rounds` times, round robin, so each type is spread over the run."""
    return [fault for _ in range(rounds) for fault in faults]


def confirm_outcome(replies: list[dict[str, Any]]) -> str:
    """What a reply to Confirm (or Try again) told the customer.

    "reference": the request is recorded (a reference was given); "failed": it could not be
    recorded (the reply offers Try again); "other": neither, which a customer cannot act on.
    """
    if REFERENCE.search(reply_text(replies)):
        return "reference"
    if button_payload(replies, "Try again") is not None:
        return "failed"
    return "other"


@dataclass
class ConversationLog:
    customer: int
    sender: str
    errors: list[tuple[float, str]] = field(default_factory=list)  # (seconds into run, error)
    answered: list[float] = field(default_factory=list)  # seconds into run of real replies
    stuck: bool = False  # gave up after GIVE_UP_SECONDS without a real reply

    @property
    def resumed(self) -> bool:
        """A real reply came after its last error."""
        return bool(self.errors) and any(t > self.errors[-1][0] for t in self.answered)


@dataclass
class RequestLog:
    email: str
    outcome: str  # reference / failed / other / no answer
    at: float  # seconds into run of the last reply
    tries: int  # Confirm plus Try again presses
    unclear_reply: str = ""


@dataclass
class Injection:
    fault: str
    at: float  # seconds into the run
    recovery_seconds: float | None  # until a new conversation got a real reply
    restart_seconds: float | None = None  # until the restarted service answered
    detail: str = ""


class RunClock:
    """Seconds since the load started, and when customers stop starting new messages."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.stop_at = float("inf")

    def now(self) -> float:
        return time.monotonic() - self.started

    def stopping(self) -> bool:
        return self.now() >= self.stop_at


@dataclass
class FaultCustomer(Customer):
    """A bench_load customer who sends a message again when it gets no usable answer."""

    clock: RunClock = field(default_factory=RunClock)
    logs: list[ConversationLog] = field(default_factory=list)
    requests: list[RequestLog] = field(default_factory=list)

    async def run_until_stopped(self, session: aiohttp.ClientSession) -> None:
        await asyncio.sleep(self.start_delay)
        while not self.clock.stopping():
            await self.fault_conversation(session)

    async def fault_conversation(self, session: aiohttp.ClientSession) -> None:
        sender = f"faults-{uuid.uuid4().hex}"
        email = f"faults.{uuid.uuid4().hex[:12]}@example.com"
        kind = fault_kind(self.conversations)
        self.conversations += 1
        log = ConversationLog(self.number, sender)
        self.logs.append(log)
        replies: list[dict[str, Any]] = []
        for text in conversation_script(kind, self.conversations, email):
            if self.clock.stopping():
                return
            message = self._message(text, replies)
            if message is None:  # no Confirm button: the form went wrong
                self.turns.append(Turn("confirm", None, "no Confirm button to press"))
                log.errors.append((self.clock.now(), "no Confirm button to press"))
                return
            if text == CONFIRM:
                self.ledger.submitted.add(email)
            answer = await self.send(session, sender, message, turn_kind(text), log)
            if answer is None:
                if text == CONFIRM:
                    self.requests.append(RequestLog(email, "no answer", self.clock.now(), 1))
                return
            replies = answer.replies
            if text == CONFIRM:
                await self.settle(session, sender, email, replies, log)

    async def send(
        self, session: aiohttp.ClientSession, sender: str, message: str, kind: str, log: Any
    ) -> Answer | None:
        """Send until a real reply comes (None: a 4xx, or no reply for GIVE_UP_SECONDS)."""
        first_try = self.clock.now()
        while True:
            answer = await post_message(session, self.url, sender, message)
            now = self.clock.now()
            self.turns.append(Turn(kind, answer.latency_ms, answer.error))
            if answer.error is None:
                log.answered.append(now)
                return answer
            log.errors.append((now, answer.error))
            if answer.status is not None and 400 <= answer.status < 500:
                return None
            if now - first_try >= GIVE_UP_SECONDS:
                log.stuck = True
                return None
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def settle(
        self,
        session: aiohttp.ClientSession,
        sender: str,
        email: str,
        replies: list[dict[str, Any]],
        log: ConversationLog,
    ) -> None:
        """Read the answer to Confirm; press Try again while it says it could not record."""
        tries = 1
        while True:
            outcome = confirm_outcome(replies)
            if outcome == "reference":
                self.note_confirmation(replies, email)
                break
            payload = button_payload(replies, "Try again")
            if outcome != "failed" or payload is None or tries > TRY_AGAIN_LIMIT:
                break
            await asyncio.sleep(TRY_AGAIN_PAUSE_SECONDS)
            answer = await self.send(session, sender, payload, "confirm", log)
            tries += 1
            if answer is None:
                outcome = "no answer"
                break
            replies = answer.replies
        unclear = reply_text(replies)[:160] if outcome == "other" else ""
        self.requests.append(RequestLog(email, outcome, self.clock.now(), tries, unclear))


# --- faults -------------------------------------------------------------------------------------


def probe(stack: DeploymentStack, timeout: float = PROBE_TIMEOUT_SECONDS) -> float | None:
    """Ask a new conversation's first question until it gets a real reply; seconds taken."""
    started = time.monotonic()
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    while time.monotonic() - started < timeout:
        body = json.dumps(
            {"sender": f"probe-{uuid.uuid4().hex}", "message": POLICY_QUESTIONS[0]}
        ).encode()
        request = urllib.request.Request(
            url, body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                if answer.status == 200 and json.loads(answer.read()):
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.25)
    return None


def restart_service(stack: DeploymentStack, name: str) -> float:
    """SIGKILL a service (every worker) and start it again; seconds until it answers."""
    started = time.monotonic()
    stack.restart(name, signal.SIGKILL)
    stack.services[name].wait_ready(400 if name == "rasa" else 120)
    return time.monotonic() - started


def inject(stack: DeploymentStack, fault: str, at: float) -> Injection:
    started = time.monotonic()
    restart: float | None = None
    detail = ""
    if fault in ("helpdesk", "actions"):
        restart = restart_service(stack, fault)
    elif fault == "rasa-worker":
        workers = stack.worker_pids("rasa")
        if len(workers) < 2:
            detail = f"{len(workers)} worker process(es) found; Rasa restarted instead"
        else:
            os.kill(workers[-1], signal.SIGKILL)
            time.sleep(WORKER_ALONE_SECONDS)
            left = stack.worker_pids("rasa")
            served = probe(stack, timeout=5)
            detail = (
                f"killed worker {workers[-1]} of {len(workers)}; {len(left)} left after "
                f"{WORKER_ALONE_SECONDS:.0f} s (no respawn); the survivor "
                + ("answered a new conversation" if served is not None else "did NOT answer")
            )
        restart = restart_service(stack, "rasa")
    elif fault == "postgres":
        detail = f"{stack.terminate_backends()} backends terminated"
    elif fault == "redis":
        stack.services["redis"].stop(signal.SIGKILL)
        time.sleep(REDIS_DOWN_SECONDS)
        stack.services["redis"].start()
        stack.services["redis"].wait_ready(30)
        restart = time.monotonic() - started
    else:
        raise ValueError(f"unknown fault {fault!r}")
    answered = probe(stack)
    recovery = None if answered is None else time.monotonic() - started
    # Not rounded: an error 10 ms after a kill must not be counted under the fault before it.
    return Injection(fault, at, recovery, restart, detail)


def inject_all(
    stack: DeploymentStack, plan: list[str], clock: RunClock, lead: float, gap: float, tail: float
) -> list[Injection]:
    """Run the plan (in a thread, while the customers run), then let the load run `tail` s."""
    time.sleep(lead)
    done = []
    for number, fault in enumerate(plan, 1):
        injection = inject(stack, fault, clock.now())
        done.append(injection)
        print(
            f"bench-faults: {number}/{len(plan)} {fault} at {injection.at:.0f} s: recovered in "
            f"{_seconds(injection.recovery_seconds)} {injection.detail}",
            flush=True,
        )
        time.sleep(gap)
    time.sleep(tail)
    clock.stop_at = clock.now()
    return done


# --- accounting ---------------------------------------------------------------------------------


def error_kind(error: str) -> str:
    if error.startswith("HTTP 5"):
        return "5xx"
    if error.startswith("HTTP "):
        return "4xx"
    if "Timeout" in error:
        return "timeout"
    if error in ("empty reply", "apology"):
        return error
    if error == "no Confirm button to press":
        return "no Confirm button"
    return "connection"


def attribute(at: float, injections: list[Injection]) -> str:
    """The fault an error at `at` follows (the last one injected before it), or "none"."""
    before = [injection for injection in injections if injection.at <= at]
    return before[-1].fault if before else "none"


@dataclass
class FaultRow:
    fault: str
    injected: int
    recovery_median: float | None
    recovery_max: float | None
    restart_median: float | None
    conversations_hit: int
    resumed: int
    stuck: int
    errors: dict[str, int]
    first_confirmation_after: float | None  # median seconds from injection to the next reference


def fault_rows(
    injections: list[Injection], logs: list[ConversationLog], requests: list[RequestLog]
) -> list[FaultRow]:
    faults = list(dict.fromkeys([i.fault for i in injections]))
    hit: dict[str, list[ConversationLog]] = {}
    errors: dict[str, dict[str, int]] = {}
    for log in logs:
        if log.errors:
            hit.setdefault(attribute(log.errors[0][0], injections), []).append(log)
        for at, error in log.errors:
            counts = errors.setdefault(attribute(at, injections), {})
            counts[error_kind(error)] = counts.get(error_kind(error), 0) + 1
    confirmed_at = sorted(r.at for r in requests if r.outcome == "reference")
    rows = []
    for fault in faults + (["none"] if "none" in hit or "none" in errors else []):
        mine = [i for i in injections if i.fault == fault]
        recoveries = [i.recovery_seconds for i in mine if i.recovery_seconds is not None]
        restarts = [i.restart_seconds for i in mine if i.restart_seconds is not None]
        waits = [next((t - i.at for t in confirmed_at if t > i.at), None) for i in mine]
        known = [w for w in waits if w is not None]
        conversations = hit.get(fault, [])
        rows.append(
            FaultRow(
                fault=fault,
                injected=len(mine),
                recovery_median=statistics.median(recoveries) if recoveries else None,
                recovery_max=max(recoveries) if recoveries else None,
                restart_median=statistics.median(restarts) if restarts else None,
                conversations_hit=len(conversations),
                resumed=sum(log.resumed for log in conversations),
                stuck=sum(log.stuck for log in conversations),
                errors=errors.get(fault, {}),
                first_confirmation_after=statistics.median(known) if known else None,
            )
        )
    return rows


@dataclass
class FaultResult:
    meta: dict[str, Any]
    tickets: TicketCount
    outcomes: dict[str, int]
    injections: list[Injection]
    rows: list[FaultRow]
    replies: int
    errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    conversations: int
    interrupted: int
    resumed: int
    stuck: int
    unclear_samples: list[str]
    interrupted_conversations: list[ConversationLog] = field(default_factory=list)


def summarise(
    meta: dict[str, Any],
    customers: list[FaultCustomer],
    ledger: Ledger,
    stored: list[tuple[str, str]],
    injections: list[Injection],
) -> FaultResult:
    logs = [log for customer in customers for log in customer.logs]
    requests = [request for customer in customers for request in customer.requests]
    turns = [turn for customer in customers for turn in customer.turns]
    latencies = [t.latency_ms for t in turns if t.latency_ms is not None]
    errors: dict[str, int] = {}
    for turn in turns:
        if turn.error:
            errors[error_kind(turn.error)] = errors.get(error_kind(turn.error), 0) + 1
    outcomes: dict[str, int] = {}
    for request in requests:
        outcomes[request.outcome] = outcomes.get(request.outcome, 0) + 1
    interrupted = [log for log in logs if log.errors]
    return FaultResult(
        meta=meta,
        tickets=ticket_count(ledger, stored),
        outcomes=outcomes,
        injections=injections,
        rows=fault_rows(injections, logs, requests),
        replies=len(latencies),
        errors=errors,
        p50_ms=percentile(latencies, 0.5),
        p95_ms=percentile(latencies, 0.95),
        conversations=len(logs),
        interrupted=len(interrupted),
        resumed=sum(log.resumed for log in interrupted),
        stuck=sum(log.stuck for log in interrupted),
        unclear_samples=sorted({r.unclear_reply for r in requests if r.unclear_reply})[:8],
        interrupted_conversations=interrupted,
    )


def helpdesk_call_failures(actions_log: str) -> dict[str, int]:
    """The action server's failed calls to the help desk (each retried), by cause."""
    causes: dict[str, int] = {}
    for line in actions_log.splitlines():
        if "help desk " in line and " failed (attempt " in line:
            cause = line.rsplit("): ", 1)[-1].split(":", 1)[0].strip()
            causes[cause] = causes.get(cause, 0) + 1
    return causes


# --- the run ------------------------------------------------------------------------------------


async def run_load(
    stack: DeploymentStack, count: int, plan: list[str], lead: float, gap: float, tail: float
) -> tuple[list[FaultCustomer], Ledger, list[Injection]]:
    ledger = Ledger()
    clock = RunClock()
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    customers = [
        FaultCustomer(i, url, ledger, start_delay=2.0 * i / count, clock=clock)
        for i in range(count)
    ]
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=count + 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        load = asyncio.gather(*(customer.run_until_stopped(session) for customer in customers))
        injections = await asyncio.to_thread(inject_all, stack, plan, clock, lead, gap, tail)
        await load
    return customers, ledger, injections


def run(args: argparse.Namespace) -> FaultResult:
    import datetime as dt

    model = Path(args.model)
    if not model.exists():
        raise SystemExit(f"No model at {model}: run `make train` first")
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-faults-"))
    deployment = DEPLOYMENTS[args.deployment]
    plan = schedule([f.strip() for f in args.faults.split(",") if f.strip()], args.rounds)
    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count() or 0,
        "load_start": os.getloadavg(),
        "deployment": deployment.label,
        "customers": args.customers,
        "rounds": args.rounds,
        "gap_seconds": args.gap,
        "work": str(work),
        "redis": "a private redis-server (no persistence) on a free port, killed with SIGKILL and "
        "started again; the machine's shared Redis is not touched",
    }
    print(f"bench-faults: starting {deployment.label} with a private Redis ...", flush=True)
    with DeploymentStack(deployment, model, work, private_redis=True) as stack:
        meta["workers_per_service"] = {
            name: len(stack.worker_pids(name)) for name in ("rasa", "actions", "helpdesk")
        }
        started = time.monotonic()
        customers, ledger, injections = asyncio.run(
            run_load(stack, args.customers, plan, args.lead, args.gap, args.tail)
        )
        meta["seconds"] = round(time.monotonic() - started, 0)
        time.sleep(1)
        stored = stack.stored_tickets()
        meta["helpdesk_call_failures"] = helpdesk_call_failures(
            stack.services["actions"].log_path.read_text(errors="replace")
        )
    meta["load_end"] = os.getloadavg()
    return summarise(meta, customers, ledger, stored, injections)


# --- report -------------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def markdown(result: FaultResult) -> str:
    meta, tickets = result.meta, result.tickets
    load_start = ", ".join(f"{x:.2f}" for x in meta["load_start"])
    load_end = ", ".join(f"{x:.2f}" for x in meta["load_end"])
    lost = tickets.confirmed_not_stored
    lines = [
        "# Faults without loss (issue #15)",
        "",
        f"{meta['date']}, {meta['cores']} cores, load average {load_start} at the start and "
        f"{load_end} at the end (1, 5, 15 minutes). {meta['deployment']}, workers found: "
        f"{meta.get('workers_per_service')}; {meta['customers']} simulated customers for "
        f"{meta.get('seconds', 0):.0f} s (3 in 4 conversations a request form ending in Confirm, "
        "1 in 4 a status check). Redis: " + meta["redis"] + ".",
        "",
        "## Tickets",
        "",
        "| requests confirmed by customers (Confirm pressed) | given a reference | stored | "
        "lost (reference given, not stored) | duplicated | stored, never given a reference | "
        "given two references |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {tickets.requests} | {tickets.confirmed} | {tickets.stored} | {lost} | "
        f"{tickets.duplicates} | {tickets.requests_stored_not_confirmed} | "
        f"{tickets.two_references} |",
        "",
        "What the last reply to Confirm (after up to "
        f"{TRY_AGAIN_LIMIT} presses of Try again) told the customer: "
        + ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items()))
        + ' (reference: recorded; failed: "could not record" with Try again; other: neither; '
        "no answer: no reply for "
        f"{GIVE_UP_SECONDS:.0f} s).",
        "",
        "## Faults",
        "",
        "| fault | injected | recovery (median / max) | service answering again (median) | "
        "conversations interrupted | continued | stuck | 5xx | connection errors | timeouts | "
        "empty replies | apologies | next confirmed ticket after (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result.rows:
        e = row.errors
        lines.append(
            f"| {row.fault} | {row.injected} | {_seconds(row.recovery_median)} / "
            f"{_seconds(row.recovery_max)} | {_seconds(row.restart_median)} | "
            f"{row.conversations_hit} | {row.resumed} | {row.stuck} | {e.get('5xx', 0)} | "
            f"{e.get('connection', 0)} | {e.get('timeout', 0)} | {e.get('empty reply', 0)} | "
            f"{e.get('apology', 0)} | {_seconds(row.first_confirmation_after)} |"
        )
    errors = ", ".join(f"{k} {v}" for k, v in sorted(result.errors.items())) or "none"
    lines += [
        "",
        f"Overall: {result.replies} real replies (p50 {result.p50_ms:.0f} ms, p95 "
        f"{result.p95_ms:.0f} ms), unusable answers by kind: {errors}. {result.conversations} "
        f"conversations, {result.interrupted} interrupted by a fault, {result.resumed} of them "
        f"continued, {result.stuck} stuck (no real reply for {GIVE_UP_SECONDS:.0f} s).",
        "",
        "Calls from the action server to the help desk that failed (each is retried twice, "
        "with the same Idempotency-Key for a ticket): "
        + (
            ", ".join(f"{k} {v}" for k, v in sorted(meta.get("helpdesk_call_failures", {}).items()))
            or "none"
        )
        + ".",
        "",
        "Recovery: from the injection until a new conversation's first question got a real "
        "reply (for a restart, the service was answering again before). An interrupted "
        "conversation is counted under the last fault injected before its first error; "
        "it continued if a real reply came after its last error (the customer sends an "
        f"unanswered message again every {RETRY_PAUSE_SECONDS:.0f} s). An apology is the "
        "chat's `utter_reply_failed` (\"something went wrong on my side ... please send it "
        'again"), which the channel sends when Rasa could not answer; an empty reply is an '
        "answer with no message at all.",
        "",
        "## Injections",
        "",
        "| # | fault | at | recovery | detail |",
        "|---:|---|---:|---:|---|",
    ]
    for number, injection in enumerate(result.injections, 1):
        lines.append(
            f"| {number} | {injection.fault} | {injection.at:.0f} s | "
            f"{_seconds(injection.recovery_seconds)} | {injection.detail} |"
        )
    if result.unclear_samples:
        lines += ["", "Replies to Confirm that gave neither a reference nor a failure:", ""]
        lines += [f"- {sample!r}" for sample in result.unclear_samples]
    lines += ["", f"Server logs: {meta['work']}", ""]
    return "\n".join(lines)


def write_report(result: FaultResult, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(result)
    (out / "bench-faults.md").write_text(text, encoding="utf-8")
    (out / "bench-faults.json").write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    return text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "policy-assistant.tar.gz"))
    parser.add_argument("--out", default="reports")
    parser.add_argument("--work", help="folder for the servers' logs (default: a temp dir)")
    parser.add_argument("--deployment", default="prod-2", choices=["prod-1", "prod-2"])
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--rounds", type=int, default=5, help="injections of each fault")
    parser.add_argument("--lead", type=float, default=15.0, help="load before the first fault")
    parser.add_argument("--gap", type=float, default=10.0, help="load after each recovery")
    parser.add_argument("--tail", type=float, default=20.0, help="load after the last fault")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Stopped with SIGTERM (or SIGINT, which a background job ignores): exit through the
    # stack's cleanup, so no server, private Redis or temporary database is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run(args)
    text = write_report(result, Path(args.out))
    print(text)
    print(f"bench-faults: wrote {Path(args.out) / 'bench-faults.md'}")
    tickets = result.tickets
    return 1 if tickets.confirmed_not_stored or tickets.duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
