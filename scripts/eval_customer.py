"""Send every held-out customer question through the trained bot and score what customers see.

    python -m scripts.eval_customer [--model PATH] [--cases PATH] [--out DIR] [--min-covered X ...]

Each question opens its own conversation with the real dialogue model and the real action server
(started here on a free loopback port); the reply texts, buttons, the responses they came from
and any request form started are judged by bot/evaluation/customer_replies.py. When the bot is
unsure about a covered question, each topic button it offers is pressed too (in a conversation of
its own), and the run counts how often the right answer was one click away. Writes
`summary.json`, `misses.md` and `by-label.md` (scores per section, request type and small-talk
response, without the questions' texts) under --out, prints the per-kind scores, and exits 1
when a score is below its --min-* floor (the gate in `make test`). When the folder holds an
earlier run on the same cases, it also prints how many cases got better and worse since, and
writes them to `changes.md` (case ids, labels and what the bot did; no question text): a trainer
sees at once what a change to the data did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from bot.contract import ACTION_TOKEN_HEADER
from bot.evaluation.customer_replies import (
    KINDS,
    Case,
    Judgement,
    Observed,
    Verdict,
    changes_markdown,
    changes_since,
    judge,
    load_cases,
    score_by_kind,
    scores_by_label_markdown,
    verdicts_by_case,
)
from bot.policy_sections import enclosing_headings
from scripts.policy_coverage import DEFAULT_POLICY
from tests.support.ports import free_port

DEFAULT_CASES = Path("tests/heldout/customer-questions.yml")
ACTION_TOKEN = secrets.token_urlsafe(32)  # shared by this run's action server and agent


@contextmanager
def action_server(log_path: Path) -> Iterator[str]:
    """The action server on a free loopback port; yields its webhook URL."""
    port = free_port()
    command = [sys.executable, "-m", "actions.server", "--port", str(port)]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "HELPDESK_ENV": "development",
           "ACTION_SERVER_TOKEN": ACTION_TOKEN}  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the action server stopped: see {log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the action server did not start: see {log_path}") from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def observed_from(messages: Sequence[dict[str, Any]], tracker: Any) -> Observed:
    """What the customer saw, and what the bot did, from one turn of a fresh conversation."""
    responses = tuple(
        str(event.metadata.get("utter_action"))
        for event in tracker.events
        if getattr(event, "type_name", "") == "bot" and (event.metadata or {}).get("utter_action")
    )
    return Observed(
        texts=tuple(str(m["text"]) for m in messages if m.get("text")),
        button_payloads=tuple(
            str(button.get("payload")) for m in messages for button in m.get("buttons") or []
        ),
        responses=responses,
        active_loop=tracker.active_loop_name,
        request_type=tracker.get_slot("request_type"),
    )


def load_agent(model: Path, action_url: str) -> Any:
    """The trained bot, quiet, calling this run's action server."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    endpoint = EndpointConfig(url=action_url, headers={ACTION_TOKEN_HEADER: ACTION_TOKEN})
    return Agent.load(str(model), action_endpoint=endpoint)


async def judge_reply(
    agent: Any, case: Case, sender: str, outline: Mapping[str, frozenset[str]]
) -> Judgement:
    """Send the case's question as the first message of conversation `sender`; judge the reply."""
    messages = await agent.handle_text(case.text, sender_id=sender) or []
    tracker = await agent.tracker_store.retrieve(sender)
    return judge(case, observed_from(messages, tracker), outline)


async def right_answer_offered(
    agent: Any, judgement: Judgement, sender: str, outline: Mapping[str, frozenset[str]]
) -> bool:
    """Whether an unsure reply to a covered question offers the right answer one click away:
    each topic button (its payload is the topic's question; request and Help Desk buttons send
    an intent, `/...`) is pressed in a conversation of its own, and its reply judged."""
    if judgement.case.kind != "covered" or judgement.verdict is not Verdict.UNSURE:
        return False
    for index, payload in enumerate(judgement.observed.button_payloads):
        if payload.startswith("/"):
            continue
        pressed = replace(judgement.case, text=payload)
        if (await judge_reply(agent, pressed, f"{sender}-button-{index}", outline)).verdict is (
            Verdict.RIGHT
        ):
            return True
    return False


def policy_outline() -> dict[str, frozenset[str]]:
    """Which headings of the policy each one is nested in, for judging citations."""
    return enclosing_headings(DEFAULT_POLICY.read_text(encoding="utf-8"))


async def run_cases(
    model: Path, cases: Sequence[Case], action_url: str
) -> tuple[list[Judgement], set[str]]:
    """Every case's judgement, and the ids of the unsure covered ones whose buttons offer the
    right answer."""
    agent = load_agent(model, action_url)
    outline = policy_outline()
    judgements, one_click = [], set()
    for case in cases:
        judgement = await judge_reply(agent, case, f"heldout-{case.id}", outline)
        judgements.append(judgement)
        if await right_answer_offered(agent, judgement, f"heldout-{case.id}", outline):
            one_click.add(case.id)
    return judgements, one_click


def misses_markdown(judgements: Sequence[Judgement]) -> str:
    lines = ["# Held-out customer questions the bot got wrong or was unsure about", ""]
    for kind in KINDS:
        misses = [j for j in judgements if j.case.kind == kind and j.verdict is not Verdict.RIGHT]
        lines += [f"## {kind}: {len(misses)} misses", ""]
        for miss in misses:
            reply = " / ".join(miss.observed.texts).replace("\n", " ")
            lines.append(
                f"- **{miss.case.id}** ({miss.verdict.value}) {miss.case.text!r}: "
                f"{'; '.join(miss.reasons)}. Reply: {reply[:300]!r}"
            )
        lines.append("")
    return "\n".join(lines)


def previous_verdicts(summary_path: Path, cases: Path) -> dict[str, str] | None:
    """The verdicts of the last run written to the same report folder, if it judged the same
    cases file; None when there is nothing to compare with."""
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get("cases") != str(cases):
        return None
    verdicts = summary.get("verdicts")
    if not isinstance(verdicts, dict):
        return None
    return {str(case): str(verdict) for case, verdict in verdicts.items()}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/policy-assistant.tar.gz"))
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--out", type=Path, default=Path("reports/customer-replies"))
    for kind in KINDS:
        parser.add_argument(f"--min-{kind.replace('_', '-')}", type=float, default=0.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    cases = load_cases(args.cases)
    started = time.perf_counter()
    with action_server(args.out / "actions.log") as action_url:
        judgements, one_click = asyncio.run(run_cases(args.model, cases, action_url))
    scores = score_by_kind(judgements)
    previous = previous_verdicts(args.out / "summary.json", args.cases)
    summary = {
        "cases": str(args.cases),
        "seconds": round(time.perf_counter() - started, 1),
        "kinds": {
            kind: {**vars(score), "score": round(score.score, 4)} for kind, score in scores.items()
        },
        "verdicts": verdicts_by_case(judgements),
        "unsure_with_the_right_answer_offered": sorted(one_click),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (args.out / "misses.md").write_text(misses_markdown(judgements), encoding="utf-8")
    (args.out / "by-label.md").write_text(scores_by_label_markdown(judgements), encoding="utf-8")
    failed = False
    print(f"{'kind':<12} {'score':>6} {'right':>6} {'unsure':>7} {'wrong':>6} {'floor':>6}")
    for kind, score in scores.items():
        floor = float(getattr(args, f"min_{kind}"))
        below = score.score < floor
        failed |= below
        print(
            f"{kind:<12} {score.score:>6.3f} {score.right:>6} {score.unsure:>7} {score.wrong:>6} "
            f"{floor:>6.2f}{'  BELOW THE FLOOR' if below else ''}"
        )
    covered = scores["covered"]
    print(
        f"covered, unsure but with the right answer one button away: {len(one_click)} "
        f"of {covered.unsure}"
    )
    print(f"misses: {args.out / 'misses.md'}")
    if previous is not None:
        changes = changes_since(previous, judgements)
        (args.out / "changes.md").write_text(changes_markdown(changes), encoding="utf-8")
        better = sum(1 for change in changes if change.better)
        print(
            f"since the last run: {better} better, {len(changes) - better} worse "
            f"({args.out / 'changes.md'})"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
