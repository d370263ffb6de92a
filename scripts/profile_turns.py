"""Profile a policy turn and a form turn on the production configuration, in one process.

The help desk and the action server run as `make run-prod` starts them (scripts/load_stack.py,
PostgreSQL for tickets and conversations, Redis for locks); Rasa runs in this process with
endpoints.production.yml, so cProfile sees each turn from the lock through NLU, the policies,
the action-server calls and the tracker save. The HTTP layer (Sanic, the REST channel) is not
in it: it is measured by the load benchmark (scripts/bench_load.py).

    python -m scripts.profile_turns [--turns 40] [--out reports/profile]

Prints the CPU time of each part per turn (policy question, request-form answer) and writes
the raw profiles (`pstats` files) to --out. cProfile's times are the time a function's frames
are running: an `await` that suspends is not counted, so the figures are CPU, not waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from scripts.load_stack import DEPLOYMENTS, ROOT, DeploymentStack, postgres_database

POLICY_QUESTIONS = [
    "do you use cookies on your websites?",
    "what do you use my personal information for?",
    "do you hand my data over to other companies?",
    "how do you keep my information safe?",
]
FORM = ["I want you to erase my personal data", "Robin Profile", "<email>", "skip"]
DETAILS = "Please include my purchase history and the newsletter list in this request."

# (label, function names whose cumulative time is that part); a name is
# "file-suffix:function" matched against pstats keys.
PARTS: list[tuple[str, list[str]]] = [
    ("whole turn (Agent.handle_message)", ["rasa/core/agent.py:handle_message"]),
    (
        "lock store (Redis): ticket, acquire, release",
        [
            "bot/stores/lock_store.py:issue_ticket",
            "rasa/core/lock_store.py:_acquire_lock",
            "bot/stores/lock_store.py:cleanup",
        ],
    ),
    ("tracker load (PostgreSQL + decrypt)", ["bot/stores/tracker_store.py:_retrieve"]),
    ("  of which decrypt (EventSealer.open)", ["bot/stores/sealing.py:open"]),
    ("tracker save (encrypt + PostgreSQL)", ["bot/stores/tracker_store.py:save"]),
    ("  of which encrypt (EventSealer.seal)", ["bot/stores/sealing.py:seal"]),
    ("NLU (parse_message)", ["rasa/core/processor.py:parse_message"]),
    ("  tokenizer", ["whitespace_tokenizer.py:process"]),
    ("  count vectors (word + char)", ["count_vectors_featurizer.py:process"]),
    ("  sentence encoder (MiniLM)", ["bot/nlu/sentence_embedding_featurizer.py:process"]),
    ("  logistic regression (intent)", ["logistic_regression_classifier.py:process"]),
    ("  CRF entities", ["crf_entity_extractor.py:process"]),
    ("  regex entities", ["regex_entity_extractor.py:process"]),
    ("  response selector", ["bot/nlu/logistic_response_selector.py:process"]),
    (
        "  fallback + gate",
        ["fallback_classifier.py:process", "bot/nlu/answer_confidence_gate.py:process"],
    ),
    (
        "policies (all predictions)",
        ["rasa/core/policies/ensemble.py:combine_predictions_from_kwargs"],
    ),
    ("  MemoizationPolicy", ["rasa/core/policies/memoization.py:predict_action_probabilities"]),
    ("  RulePolicy", ["rasa/core/policies/rule_policy.py:predict_action_probabilities"]),
    ("  TEDPolicy", ["rasa/core/policies/ted_policy.py:predict_action_probabilities"]),
    ("  graph run (prediction, incl. featurising)", ["rasa/engine/runner/dask.py:run"]),
    ("action-server calls (RemoteAction.run)", ["rasa/core/actions/action.py:run"]),
    ("  HTTP request to the action server", ["rasa/utils/endpoints.py:request"]),
    ("  tracker -> JSON for the action server", ["rasa/shared/core/trackers.py:current_state"]),
    ("form loop (FormAction.run)", ["rasa/core/actions/loops.py:run"]),
    ("JSON schema check of action answers", ["bot/rasa_runtime.py:_validate_action_result"]),
]


def _cumulative(stats: pstats.Stats, suffix: str) -> tuple[float, int]:
    file_part, function = suffix.rsplit(":", 1)
    total, calls = 0.0, 0
    for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if name == function and filename.endswith(file_part):
            total += ct
            calls += nc
    return total, calls


def report(stats: pstats.Stats, turns: int, title: str) -> str:
    lines = [f"### {title} ({turns} turns, CPU ms per turn)", ""]
    lines += ["| part | ms/turn |", "|---|---:|"]
    for label, names in PARTS:
        total = sum(_cumulative(stats, name)[0] for name in names)
        if total > 0:
            lines.append(f"| {label} | {total / turns * 1000:.1f} |")
    return "\n".join(lines)


@contextmanager
def services(work: Path) -> Iterator[dict[str, str]]:
    """The help desk and the action server of `make run-prod` (1 worker), and a tracker DB."""
    stack = DeploymentStack(DEPLOYMENTS["prod-1"], ROOT / "models", work)
    with ExitStack() as cleanup:
        stack._start = lambda: None  # type: ignore[method-assign]
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink

        from scripts.load_stack import free_port

        work.mkdir(parents=True, exist_ok=True)
        stack.ports = {name: free_port() for name in ("rasa", "actions", "helpdesk", "smtp")}
        smtp = Controller(Sink(), hostname="127.0.0.1", port=stack.ports["smtp"])
        smtp.start()
        cleanup.callback(smtp.stop)
        stack.database_urls["tickets"] = cleanup.enter_context(postgres_database("prof_tickets"))
        stack.database_urls["tracker"] = cleanup.enter_context(postgres_database("prof_tracker"))
        started = [s for s in stack._services() if s.name != "rasa"]
        rasa_env = next(s for s in stack._services() if s.name == "rasa").env
        for service in started:
            service.start()
            cleanup.callback(service.stop)
        for service in started:
            service.wait_ready(120)
        yield rasa_env


async def profile(model: Path, turns: int, out: Path) -> None:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints

    from bot.rasa_runtime import install

    install()
    # As `rasa run` logs by default (INFO): debug logging would be most of the profile.
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.production.yml"))
    agent = await load_agent(model_path=str(model), endpoints=endpoints)

    async def send(sender: str, text: str) -> list[dict[str, Any]]:
        channel = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, channel, sender))
        return channel.messages

    # CPU time of the process (all its threads: BLAS too), robust to other load on the machine
    policy, form = cProfile.Profile(time.process_time), cProfile.Profile(time.process_time)
    timings: dict[str, list[float]] = {"policy": [], "form": []}
    # The same turns again without the profiler: Rasa's CPU per turn as it really is.
    plain_cpu: dict[str, list[float]] = {"policy": [], "form": []}

    async def timed(profiler: cProfile.Profile | None, kind: str, sender: str, text: str) -> Any:
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        try:
            return await send(sender, text)
        finally:
            if profiler is not None:
                profiler.disable()
                timings[kind].append((time.perf_counter() - started) * 1000)
            else:
                plain_cpu[kind].append((time.process_time() - cpu_started) * 1000)

    async def conversation(profiled: bool) -> None:
        policy_profile, form_profile = (policy, form) if profiled else (None, None)
        sender = f"prof-{uuid.uuid4().hex}"
        email = f"prof.{uuid.uuid4().hex[:8]}@example.com"
        await send(sender, "hi there")
        for question in POLICY_QUESTIONS:
            await timed(policy_profile, "policy", sender, question)
        # A request form: four answers after the request, then the summary's Confirm.
        replies = await timed(form_profile, "form", sender, FORM[0])
        for text in [*FORM[1:], DETAILS]:
            answer = email if text == "<email>" else text
            replies = await timed(form_profile, "form", sender, answer)
        payload = next(
            (
                button["payload"]
                for reply in replies
                for button in reply.get("buttons") or []
                if button.get("title") == "Confirm"
            ),
            None,
        )
        if payload is None:
            raise RuntimeError(f"no Confirm button after the details: {replies}")
        await timed(form_profile, "form", sender, str(payload))

    # warm up both paths once
    warm = f"warm-{uuid.uuid4().hex}"
    for text in [POLICY_QUESTIONS[0], *FORM[:1]]:
        await send(warm, text)
    for _ in range(turns):
        await conversation(profiled=False)
    for _ in range(turns):
        await conversation(profiled=True)
    out.mkdir(parents=True, exist_ok=True)
    for name, profiler in (("policy", policy), ("form", form)):
        profiler.dump_stats(str(out / f"{name}.pstats"))
    texts = []
    for name, profiler, count in (
        ("policy question", policy, len(timings["policy"])),
        ("request-form turn (answers and Confirm)", form, len(timings["form"])),
    ):
        stats = pstats.Stats(profiler)
        texts.append(report(stats, count, name))
    for kind, values in timings.items():
        cpu = sorted(plain_cpu[kind])
        texts.append(
            f"{kind}: without the profiler, Rasa's CPU per turn: mean "
            f"{sum(cpu) / len(cpu):.1f} ms, p50 {cpu[len(cpu) // 2]:.1f} ms ({len(cpu)} turns); "
            f"profiled wall p50 {sorted(values)[len(values) // 2]:.1f} ms (cProfile slows "
            "Python-heavy code more than NumPy: the table's parts are shares, not real times)"
        )
    text = "\n\n".join(texts)
    (out / "profile.md").write_text(text + "\n")
    print(text)


def main() -> None:
    # As Rasa runs in production (python -m bot.rasa_runtime): one BLAS thread.
    from bot.rasa_runtime import single_threaded_blas

    single_threaded_blas()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "policy-assistant.tar.gz"))
    parser.add_argument("--turns", type=int, default=20, help="conversations")
    parser.add_argument("--out", default="reports/profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, services(Path(work)) as rasa_env:
        os.environ.update(rasa_env)
        asyncio.run(profile(Path(args.model), args.turns, Path(args.out)))


if __name__ == "__main__":
    main()
