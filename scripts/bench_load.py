"""Load the deployments people run with simulated customers, side by side on this machine.

For each deployment (scripts/load_stack.py: `make run`'s SQLite default, and `make run-prod`'s
PostgreSQL + Redis with 1 and 2 workers) this starts the whole stack, then runs a closed loop of
N simulated customers at each level (1/8/32/64): each sends a message, waits for the reply, and
sends the next. Each customer goes through conversations of about six turns, in rotation:

- policy questions and small talk;
- a privacy request through the form (request, name, email, service, details) and Confirm;
- a status check of that customer's last ticket (reference and email), then more questions.

Reported per deployment and level: replies/s, p50/p95/p99 latency, errors (HTTP errors,
timeouts, empty replies), CPU seconds per reply of the deployment's processes and their
PostgreSQL backends (from /proc), and tickets: confirmed to customers vs stored (per
deployment). The question texts are written here, not taken from any test set.

    python -m scripts.bench_load [--quick] [--deployments sqlite,prod-1,prod-2] [--out reports]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from scripts.load_stack import DEPLOYMENTS, ROOT, Deployment, DeploymentStack, rss_mib

REFERENCE = re.compile(r"\bPR-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
CLIENT_TIMEOUT_SECONDS = 60
# Customers of a level start spread over this time, as visitors arrive, not in one millisecond
# (a synchronised burst of N first messages measures the burst, which all finish together).
RAMP_SECONDS = 2.0

POLICY_QUESTIONS = [
    "do you use cookies on your websites?",
    "what do you use my personal information for?",
    "do you hand my data over to other companies?",
    "which country's law applies to this privacy policy?",
    "who else shares the use of my information with CASIO?",
    "how do I change the details registered in my account?",
    "which services does this privacy policy cover?",
    "do I have to give you my personal details?",
    "how do you keep my information safe?",
    "can I stop using a service and have my membership ended?",
]
SMALL_TALK = ["hi there", "thanks a lot", "are you a real person?", "ok bye for now"]
REQUESTS = [
    "I want you to erase my personal data",
    "please stop using my personal information",
    "send me a copy of the personal data you hold about me",
]
DETAILS = "Please include my purchase history and the newsletter list in this request."
STATUS_QUESTION = "what's the status of my request?"
CONFIRM = "<confirm>"  # press the Confirm button of the previous reply
LAST_REFERENCE = "<reference>"  # the customer's last ticket reference
LAST_EMAIL = "<email>"  # that ticket's email


def conversation_script(kind: int, turn: int, email: str) -> list[str]:
    """One conversation of about six turns; `kind` rotates policy, request, status."""

    def question(i: int) -> str:
        return POLICY_QUESTIONS[(turn + i) % len(POLICY_QUESTIONS)]

    if kind % 3 == 0:
        return [
            SMALL_TALK[0],
            question(0),
            question(1),
            SMALL_TALK[1],
            question(2),
            SMALL_TALK[3],
        ]
    if kind % 3 == 1:
        request = REQUESTS[(turn // 3) % len(REQUESTS)]
        return [request, "Robin Loadtest", email, "skip", DETAILS, CONFIRM]
    return [
        STATUS_QUESTION,
        LAST_REFERENCE,
        LAST_EMAIL,
        question(3),
        SMALL_TALK[2],
        question(4),
    ]


@dataclass
class Turn:
    kind: str  # policy / smalltalk / form / confirm / status
    latency_ms: float | None
    error: str | None = None


@dataclass
class LevelResult:
    deployment: str
    label: str
    concurrency: int
    seconds: float
    replies: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    throughput: float
    cpu_seconds: float
    cpu_ms_per_reply: float
    load_average: float
    by_kind_p50_ms: dict[str, float] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


@dataclass
class DeploymentResult:
    deployment: str
    label: str
    levels: list[LevelResult]
    confirmed: int
    stored: int
    confirmed_not_stored: int
    stored_not_confirmed: int
    duplicates: int
    rss_mib: float
    note: str = ""


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def turn_kind(text: str) -> str:
    if text == CONFIRM:
        return "confirm"
    if text in POLICY_QUESTIONS:
        return "policy"
    if text in SMALL_TALK:
        return "smalltalk"
    if text in (STATUS_QUESTION, LAST_REFERENCE, LAST_EMAIL):
        return "status"
    return "form"


@dataclass
class Ledger:
    """What customers were told, to compare with what the help desk stored."""

    submitted: set[str] = field(default_factory=set)  # emails of requests confirmed by customers
    confirmed: list[tuple[str, str]] = field(default_factory=list)  # (reference, email) reported


@dataclass
class Customer:
    """One simulated customer: conversations of ~6 turns, one after the other."""

    number: int
    url: str
    ledger: Ledger
    turns: list[Turn] = field(default_factory=list)
    last_ticket: tuple[str, str] | None = None
    conversations: int = 0

    think_seconds: float = 0.0
    start_delay: float = 0.0

    async def run(self, session: aiohttp.ClientSession, deadline: float) -> None:
        await asyncio.sleep(self.start_delay)
        while time.monotonic() < deadline:
            await self.conversation(session, deadline)

    async def conversation(self, session: aiohttp.ClientSession, deadline: float) -> None:
        sender = f"load-{uuid.uuid4().hex}"
        email = f"load.{uuid.uuid4().hex[:10]}@example.com"
        kind = self.number + self.conversations
        self.conversations += 1
        replies: list[dict[str, Any]] = []
        for text in conversation_script(kind, self.conversations, email):
            if time.monotonic() >= deadline:
                return
            message = self._message(text, replies)
            if message is None:  # no Confirm button: the form went wrong
                self.turns.append(Turn("confirm", None, "no Confirm button to press"))
                return
            if text == CONFIRM:
                self.ledger.submitted.add(email)
            if self.think_seconds and replies:
                await asyncio.sleep(self.think_seconds)
            answer = await post_message(session, self.url, sender, message)
            self.turns.append(Turn(turn_kind(text), answer.latency_ms, answer.error))
            if answer.error:
                return
            replies = answer.replies
            if text == CONFIRM:
                self.note_confirmation(replies, email)

    def note_confirmation(self, replies: list[dict[str, Any]], email: str) -> str | None:
        """Record the reference a reply to Confirm gave the customer, if any."""
        match = REFERENCE.search(reply_text(replies))
        if not match:
            return None
        self.last_ticket = (match.group(0), email)
        self.ledger.confirmed.append(self.last_ticket)
        return match.group(0)

    def _message(self, text: str, replies: list[dict[str, Any]]) -> str | None:
        if text == CONFIRM:
            return button_payload(replies, "Confirm")
        if text == LAST_REFERENCE:
            return self.last_ticket[0] if self.last_ticket else "PR-AAAA-BBBB"
        if text == LAST_EMAIL:
            return self.last_ticket[1] if self.last_ticket else "nobody@example.com"
        return text


@dataclass(frozen=True)
class Answer:
    """Rasa's answer to one message: its replies, or why there was no usable answer."""

    replies: list[dict[str, Any]]
    latency_ms: float | None  # None when there was no usable answer
    error: str | None = None  # "HTTP 500", "ClientConnectorError", "empty reply", ...
    status: int | None = None  # the HTTP status, None without one


async def post_message(
    session: aiohttp.ClientSession, url: str, sender: str, message: str
) -> Answer:
    """Send one customer message to Rasa's REST webhook and read the bot's replies."""
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": message}) as answer:
            body = await answer.read()
            status = answer.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return Answer([], None, type(error).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        return Answer([], None, f"HTTP {status}", status)
    try:
        replies = json.loads(body)
    except ValueError:
        replies = []
    if not isinstance(replies, list) or not replies:
        return Answer([], None, "empty reply", status)
    if reply_text(replies) == reply_failed_text():
        # The channel's apology (bot/chat/channel.py): honest, but not an answer.
        return Answer(replies, None, "apology", status)
    return Answer(replies, elapsed, None, status)


@functools.lru_cache(maxsize=1)
def reply_failed_text() -> str:
    """What the chat says when it could not answer a message (the domain's response)."""
    from bot.chat.channel import REPLY_FAILED_RESPONSE

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return str(domain["responses"][REPLY_FAILED_RESPONSE][0]["text"])


def reply_text(replies: list[dict[str, Any]]) -> str:
    return " ".join(str(reply.get("text", "")) for reply in replies)


def button_payload(replies: list[dict[str, Any]], title: str) -> str | None:
    """The payload of the button called `title` in these replies, if there is one."""
    for reply in replies:
        for button in reply.get("buttons") or []:
            if button.get("title") == title:
                return str(button["payload"])
    return None


async def run_level(
    stack: DeploymentStack,
    concurrency: int,
    seconds: float,
    ledger: Ledger,
    ramp_seconds: float = RAMP_SECONDS,
    think_seconds: float = 0.0,
) -> LevelResult:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    customers = [
        Customer(
            i, url, ledger, think_seconds=think_seconds, start_delay=ramp_seconds * i / concurrency
        )
        for i in range(concurrency)
    ]
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=concurrency)
    cpu_before = stack.cpu_snapshot()
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(customer.run(session, deadline) for customer in customers))
    elapsed = time.perf_counter() - started
    cpu_after = stack.cpu_snapshot()
    cpu = sum(cpu_after[p] - cpu_before.get(p, 0.0) for p in cpu_after)
    turns = [turn for customer in customers for turn in customer.turns]
    latencies = [t.latency_ms for t in turns if t.latency_ms is not None]
    errors = [t.error for t in turns if t.error]
    by_kind: dict[str, list[float]] = {}
    for turn in turns:
        if turn.latency_ms is not None:
            by_kind.setdefault(turn.kind, []).append(turn.latency_ms)
    replies = len(latencies)
    return LevelResult(
        deployment=stack.deployment.name,
        label=stack.deployment.label,
        concurrency=concurrency,
        seconds=round(elapsed, 1),
        replies=replies,
        errors=len(errors),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=float("nan")),
        throughput=replies / elapsed if elapsed else 0.0,
        cpu_seconds=round(cpu, 2),
        cpu_ms_per_reply=cpu * 1000 / replies if replies else float("nan"),
        load_average=os.getloadavg()[0],
        by_kind_p50_ms={k: statistics.median(v) for k, v in sorted(by_kind.items())},
        error_samples=sorted(set(errors))[:5],
    )


async def warm_up(stack: DeploymentStack) -> None:
    """A few conversations so the first measured turns do not pay for lazy loading."""
    await run_level(stack, 2 * stack.deployment.workers, 8, Ledger())


@dataclass(frozen=True)
class TicketCount:
    confirmed: int  # distinct references customers were given
    stored: int  # tickets stored for the requests customers confirmed
    confirmed_not_stored: int  # a reference given, no such ticket for that request: a lie
    stored_not_confirmed: int  # stored, but the customer never got the reference
    duplicates: int  # more than one ticket for one confirmed request
    requests: int = 0  # requests customers confirmed (pressed Confirm)
    requests_stored_not_confirmed: int = 0  # requests stored whose customer got no reference
    two_references: int = 0  # requests whose customer was given more than one reference


def ticket_count(ledger: Ledger, stored: list[tuple[str, str]]) -> TicketCount:
    """Compare what customers were told with the help desk's tickets for their requests.

    Each simulated request has its own email address, so tickets are matched by email, and a
    reference counts as stored only if it is stored for the email of the request it was given to.
    """
    ours = [(reference, email) for reference, email in stored if email in ledger.submitted]
    confirmed_refs = {reference for reference, _ in ledger.confirmed}
    stored_refs = {reference for reference, _ in ours}
    emails = [email for _, email in ours]
    confirmed_emails = {email for _, email in ledger.confirmed}
    references_of: dict[str, set[str]] = {}
    for reference, email in ledger.confirmed:
        references_of.setdefault(email, set()).add(reference)
    return TicketCount(
        confirmed=len(confirmed_refs),
        stored=len(ours),
        confirmed_not_stored=len(set(ledger.confirmed) - set(stored)),
        stored_not_confirmed=len(stored_refs - confirmed_refs),
        duplicates=len(emails) - len(set(emails)),
        requests=len(ledger.submitted),
        requests_stored_not_confirmed=len(set(emails) - confirmed_emails),
        two_references=sum(len(refs) > 1 for refs in references_of.values()),
    )


def measure_deployment(
    deployment: Deployment,
    model: Path,
    work: Path,
    levels: Sequence[int],
    seconds: float,
    ramp_seconds: float = RAMP_SECONDS,
    think_seconds: float = 0.0,
) -> DeploymentResult:
    print(f"bench-load: starting {deployment.label} ...", flush=True)
    with DeploymentStack(deployment, model, work) as stack:
        asyncio.run(warm_up(stack))
        ledger = Ledger()
        results = []
        for concurrency in levels:
            level = asyncio.run(
                run_level(stack, concurrency, seconds, ledger, ramp_seconds, think_seconds)
            )
            print(
                f"bench-load: {deployment.name} x{concurrency}: {level.throughput:.1f} replies/s, "
                f"p50 {level.p50_ms:.0f} ms, p95 {level.p95_ms:.0f} ms, p99 {level.p99_ms:.0f} ms,"
                f" {level.errors} errors, {level.cpu_ms_per_reply:.0f} CPU ms/reply, "
                f"load {level.load_average:.1f}",
                flush=True,
            )
            results.append(level)
        rss = rss_mib(stack.server_pids())
        time.sleep(1)  # the last confirmations' tickets are committed before the reply
        stored = stack.stored_tickets()
    tickets = ticket_count(ledger, stored)
    return DeploymentResult(
        deployment=deployment.name,
        label=deployment.label,
        levels=results,
        confirmed=tickets.confirmed,
        stored=tickets.stored,
        confirmed_not_stored=tickets.confirmed_not_stored,
        stored_not_confirmed=tickets.stored_not_confirmed,
        duplicates=tickets.duplicates,
        rss_mib=round(rss, 0),
    )


# --- report -------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.0f} ms"  # NaN -> "-"


def markdown(results: list[DeploymentResult], meta: dict[str, Any]) -> str:
    lines = [
        "# Load benchmark: the deployments under a realistic mix",
        "",
        f"{meta['date']}, {meta['cores']} cores, load average {meta['load_start']:.1f} at the "
        f"start and {meta['load_end']:.1f} at the end (1-minute; other work on the machine "
        f"slows every figure). {meta['seconds']:.0f} s per level, closed loop (customers "
        f"start over {meta.get('ramp_seconds', RAMP_SECONDS):.0f} s, then send each message "
        f"{meta.get('think_seconds', 0.0):.1f} s after the last reply), a new conversation "
        "every ~6 turns (policy questions and small talk; a request form with a confirmed "
        f"ticket; a status check), client timeout {CLIENT_TIMEOUT_SECONDS} s.",
        "",
        "| deployment | conversations | replies/s | p50 | p95 | p99 | max | errors | "
        "CPU ms/reply | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for level in result.levels:
            lines.append(
                f"| {result.label} | {level.concurrency} | {level.throughput:.1f} | "
                f"{_ms(level.p50_ms)} | {_ms(level.p95_ms)} | {_ms(level.p99_ms)} | "
                f"{_ms(level.max_ms)} | {level.errors} | {level.cpu_ms_per_reply:.0f} | "
                f"{level.load_average:.1f} |"
            )
    ratio_lines = scaling_lines(results)
    if ratio_lines:
        lines += ["", "Scaling, 2 workers over 1 (replies/s):", "", *ratio_lines]
    lines += [
        "",
        "| deployment | tickets confirmed to customers | stored | confirmed, not stored | "
        "stored, never confirmed | duplicates | RSS of its processes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| {result.label} | {result.confirmed} | {result.stored} | "
            f"{result.confirmed_not_stored} | {result.stored_not_confirmed} | "
            f"{result.duplicates} | {result.rss_mib:.0f} MiB |"
        )
    lines += ["", "Median latency per kind of turn (ms):", ""]
    kinds = ["policy", "smalltalk", "form", "confirm", "status"]
    lines += [
        "| deployment | conversations | " + " | ".join(kinds) + " |",
        "|---|---:|" + "---:|" * len(kinds),
    ]
    for result in results:
        for level in result.levels:
            cells = [_ms(level.by_kind_p50_ms.get(kind, float("nan"))) for kind in kinds]
            lines.append(f"| {result.label} | {level.concurrency} | " + " | ".join(cells) + " |")
    samples = [
        f"- {result.deployment} x{level.concurrency}: {', '.join(level.error_samples)}"
        for result in results
        for level in result.levels
        if level.error_samples
    ]
    if samples:
        lines += ["", "Errors seen:", "", *samples]
    lines += [
        "",
        "CPU is the user+system time of the deployment's processes (Rasa, action server, help "
        "desk, all workers) and of its PostgreSQL backends, read from /proc before and after each "
        "level; Redis (shared by the machine) is not counted.",
        "",
        "![replies per second and p95 latency](bench-load.png)",
        "",
    ]
    return "\n".join(lines)


def scaling_lines(results: list[DeploymentResult]) -> list[str]:
    by_name = {result.deployment: result for result in results}
    one, two = by_name.get("prod-1"), by_name.get("prod-2")
    if not one or not two:
        return []
    rates = {level.concurrency: level.throughput for level in one.levels}
    return [
        f"- {level.concurrency} conversations: {level.throughput:.1f} / "
        f"{rates[level.concurrency]:.1f} = {level.throughput / rates[level.concurrency]:.2f}x"
        for level in two.levels
        if rates.get(level.concurrency)
    ]


def draw_chart(results: list[DeploymentResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for result in results:
        levels = [level.concurrency for level in result.levels]
        left.plot(levels, [lv.throughput for lv in result.levels], marker="o", label=result.label)
        right.plot(levels, [lv.p95_ms for lv in result.levels], marker="o", label=result.label)
    left.set(xlabel="concurrent conversations", ylabel="replies/s", title="Throughput")
    right.set(xlabel="concurrent conversations", ylabel="ms", title="p95 latency")
    right.set_yscale("log")
    for axes in (left, right):
        axes.set_xscale("log", base=2)
        axes.grid(True, alpha=0.3)
    left.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "policy-assistant.tar.gz"))
    parser.add_argument("--out", default="reports")
    parser.add_argument("--work", help="folder for logs and SQLite files (default: a temp dir)")
    parser.add_argument("--deployments", default="sqlite,prod-1,prod-2")
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--seconds", type=float, default=40.0, help="per level")
    parser.add_argument(
        "--ramp-seconds", type=float, default=RAMP_SECONDS, help="customers start spread over this"
    )
    parser.add_argument(
        "--think-seconds", type=float, default=0.0, help="a customer's pause before each message"
    )
    parser.add_argument(
        "--quick", action="store_true", help="levels 1,32 for 15 s each (unless given)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        if args.levels == parser.get_default("levels"):
            args.levels = "1,32"
        if args.seconds == parser.get_default("seconds"):
            args.seconds = 15.0
    return args


def run(args: argparse.Namespace) -> tuple[list[DeploymentResult], dict[str, Any]]:
    import datetime as dt

    model = Path(args.model)
    if not model.exists():
        raise SystemExit(f"No model at {model}: run `make train` first")
    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-load-"))
    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count() or 0,
        "load_start": os.getloadavg()[0],
        "seconds": args.seconds,
        "ramp_seconds": args.ramp_seconds,
        "think_seconds": args.think_seconds,
        "work": str(work),
    }
    results = []
    for name in args.deployments.split(","):
        deployment = DEPLOYMENTS[name.strip()]
        results.append(
            measure_deployment(
                deployment, model, work, levels, args.seconds, args.ramp_seconds, args.think_seconds
            )
        )
    meta["load_end"] = os.getloadavg()[0]
    return results, meta


def write_report(results: list[DeploymentResult], meta: dict[str, Any], out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    draw_chart(results, out / "bench-load.png")
    text = markdown(results, meta)
    (out / "bench-load.md").write_text(text, encoding="utf-8")
    raw = {"meta": meta, "results": [asdict(result) for result in results]}
    (out / "bench-load.json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results, meta = run(args)
    text = write_report(results, meta, Path(args.out))
    print(text)
    print(f"bench-load: wrote {Path(args.out) / 'bench-load.md'} (logs in {meta['work']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
