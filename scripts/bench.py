"""`make bench`: this bot against two baselines, side by side in one run on this machine.

1. trains the model with config.yml and with Rasa's default recipe (config.default.yml) on the same
   data, one after the other, measuring wall time and the peak RSS of the `rasa train` process tree;
2. answers the held-out questions (tests/nlu) with both models and with a TF-IDF passage-retrieval
   baseline over the policy (scripts/baselines.py), judged by one rule (scripts/eval_heldout.py);
3. starts `rasa run` and the action server on free 127.0.0.1 ports and measures the reply latency
   and throughput of POST /webhooks/rest/webhook at 1, 8 and 32 concurrent conversations
   (bounded: --messages per conversation and --level-seconds per level), then stops them;
4. measures the help desk's ticket creation with scripts/bench_helpdesk.py when it is present;

and writes reports/bench.md (a Markdown table) and reports/bench.png (a chart).

    python -m scripts.bench [--out reports] [--work /tmp/bench-xyz]
    python -m scripts.bench --model models/policy-assistant.tar.gz --default-model M --no-training
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import importlib.metadata
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, Sequence

import aiohttp

from scripts import eval_bench, eval_heldout
from scripts.baselines import policy_retriever
from scripts.eval_process import run_measured
from scripts.evaluate import rasa_env, rasa_executable
from tests.support.ports import free_port

BOT = "this bot (config.yml)"
DEFAULT_RECIPE = "Rasa default recipe"
TFIDF = "TF-IDF passage retrieval"
TRAIN_DATA = ["data/nlu", "data/rules", "data/stories"]
# The latency loops send questions the bot answers by itself (FAQ and small talk): requests open
# forms whose actions call the help desk, which is measured on its own.
LATENCY_INTENTS = {"faq", "greet", "thank", "goodbye", "bot_challenge", "out_of_scope"}


def versions() -> dict[str, str]:
    found = {"Python": platform.python_version()}
    for package in ("rasa", "rasa-sdk", "tensorflow", "scikit-learn", "sanic"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def train(config: str, domain: str, out: Path, name: str) -> tuple[Path, eval_bench.TrainingResult]:
    out.mkdir(parents=True, exist_ok=True)
    command = [
        rasa_executable(),
        "train",
        "--config",
        config,
        "--domain",
        domain,
        "--data",
        *TRAIN_DATA,
        "--out",
        str(out),
        "--fixed-model-name",
        name,
        "--force",
    ]
    print(f"bench: training {config} ...", flush=True)
    measured = run_measured(command, env=rasa_env(), log_path=out / f"{name}.train.log")
    model = out / f"{name}.tar.gz"
    ok = measured.returncode == 0 and model.exists()
    print(f"bench: {config}: {measured.seconds:.0f} s, ok={ok}", flush=True)
    return model, eval_bench.TrainingResult(
        config=config, seconds=measured.seconds, peak_rss_bytes=measured.peak_rss_bytes, ok=ok
    )


async def bot_answers(
    model: Path, examples: Sequence[eval_heldout.Example], sections: dict[str, str]
) -> list[eval_heldout.Answer]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    answers = []
    for example in examples:
        parsed = await agent.parse_message(example.text)
        answers.append(eval_heldout.answer_from_parse(parsed, sections))
    return answers


class Stack:
    """`rasa run` and the action server on free 127.0.0.1 ports, stopped on exit."""

    def __init__(self, model: Path, work: Path) -> None:
        self.model = model
        self.work = work
        self.rasa_port = free_port()
        self.actions_port = free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.action_token = secrets.token_urlsafe(32)

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def __enter__(self) -> Stack:
        endpoints = self.work / "bench-endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.actions_port}/webhook"\n'
            f"  headers:\n    X-Action-Token: {self.action_token}\n",
            encoding="utf-8",
        )
        self._start(
            "actions",
            [sys.executable, "-m", "actions.server", "--port", str(self.actions_port)],
        )
        self._start(
            "rasa",
            [rasa_executable(), "run", "--model", str(self.model), "--interface", "127.0.0.1"]
            + ["--port", str(self.rasa_port), "--endpoints", str(endpoints)]
            + ["--credentials", "credentials.yml"],
        )
        return self

    def _start(self, name: str, command: list[str]) -> None:
        log = open(self.work / f"bench-{name}.log", "wb")  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(
                command,
                env={
                    **rasa_env(),
                    "HELPDESK_ENV": "development",
                    "ACTION_SERVER_TOKEN": self.action_token,
                },  # fmt: skip
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()

    async def wait_ready(self, timeout_seconds: float = 300) -> None:
        deadline = time.monotonic() + timeout_seconds
        urls = [
            f"http://127.0.0.1:{self.actions_port}/health",
            f"http://127.0.0.1:{self.rasa_port}/",
        ]
        async with aiohttp.ClientSession() as session:
            for url in urls:
                while True:
                    if any(p.poll() is not None for p in self.processes):
                        raise RuntimeError(f"a server stopped early: see the logs in {self.work}")
                    try:
                        async with session.get(url) as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url} not ready after {timeout_seconds:.0f} s")
                    await asyncio.sleep(1)

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cycle(texts: Sequence[str], start: int) -> Iterator[str]:
    index = start
    while True:
        yield texts[index % len(texts)]
        index += 1


async def conversation_loop(
    session: aiohttp.ClientSession,
    url: str,
    texts: Iterator[str],
    messages: int,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    sender = f"bench-{uuid.uuid4().hex}"
    for _ in range(messages):
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": next(texts)}) as reply:
                await reply.read()
                ok = reply.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            errors.append(repr(error))
            continue
        if ok:
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors.append(f"HTTP {reply.status}")


async def rasa_latency(
    url: str, texts: Sequence[str], concurrency: int, messages: int, level_seconds: float
) -> eval_bench.LatencyResult:
    latencies: list[float] = []
    errors: list[str] = []
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        deadline = time.monotonic() + level_seconds
        await asyncio.gather(
            *(
                conversation_loop(
                    session, url, cycle(texts, i * 7), messages, deadline, latencies, errors
                )
                for i in range(concurrency)
            )
        )
        wall = time.perf_counter() - started
    return eval_bench.LatencyResult(
        target=eval_bench.RASA_WEBHOOK,
        concurrency=concurrency,
        latencies_ms=tuple(latencies),
        errors=len(errors),
        wall_seconds=wall,
    )


async def helpdesk_latency(
    levels: Sequence[int], requests: int
) -> tuple[list[eval_bench.LatencySummary], str | None]:
    """Ticket creation measured by scripts/bench_helpdesk.py (the help desk's own benchmark)."""
    try:
        module = importlib.import_module("scripts.bench_helpdesk")
    except ModuleNotFoundError:
        return [], "help desk ticket creation: not measured (scripts/bench_helpdesk.py is absent)"
    run_benchmark = getattr(module, "run_benchmark", None)
    if run_benchmark is None:
        return [], "help desk: scripts/bench_helpdesk.py has no run_benchmark()"
    print("bench: help desk ticket creation (scripts/bench_helpdesk.py) ...", flush=True)
    # it runs its own event loops, so it gets a thread of its own
    measured: list[Any] = await asyncio.to_thread(
        run_benchmark, concurrency_levels=list(levels), requests=requests
    )
    summaries = [
        eval_bench.LatencySummary(
            target=f"help desk POST /api/v1/tickets ({r.backend})",
            concurrency=int(r.concurrency),
            requests=int(r.requests),
            errors=int(r.errors),
            p50_ms=float(r.p50_ms),
            p95_ms=float(r.p95_ms),
            p99_ms=float(r.p99_ms),
            throughput=float(r.throughput_rps),
        )
        for r in measured
    ]
    note = (
        f"help desk: {requests} tickets per level from scripts/bench_helpdesk.py "
        "(SQLite file and PostgreSQL database of its own; percentiles as for the bot)."
    )
    return summaries, note


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="reports")
    parser.add_argument(
        "--work", help="folder for the trained models and logs (default: a temp dir)"
    )
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--default-config", default="config.default.yml")
    parser.add_argument("--domain", default="domain.yml")
    parser.add_argument("--nlu", default="tests/nlu", help="held-out questions")
    parser.add_argument("--policy", default="data/policy/privacy-policy.md")
    parser.add_argument("--sections", default="data/policy/sections.yml")
    parser.add_argument("--no-training", action="store_true", help="use --model/--default-model")
    parser.add_argument("--model", help="this bot's model (with --no-training)")
    parser.add_argument("--default-model", help="the default recipe's model (with --no-training)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent conversations per level")
    parser.add_argument("--messages", type=int, default=20, help="messages per conversation")
    parser.add_argument("--level-seconds", type=float, default=60.0, help="time cap per level")
    parser.add_argument(
        "--helpdesk-requests", type=int, default=200, help="tickets per level (0: skip)"
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, work: Path) -> eval_bench.BenchResults:
    results = eval_bench.BenchResults(
        date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        cores=os.cpu_count() or 0,
        versions=versions(),
    )
    load_before = os.getloadavg()[0]
    examples = eval_heldout.load_examples([Path(args.nlu)])
    sections = eval_heldout.topic_sections(Path(args.sections).read_text(encoding="utf-8"))
    models: dict[str, Path | None] = {}
    if args.no_training:
        models[BOT] = Path(args.model) if args.model else None
        models[DEFAULT_RECIPE] = Path(args.default_model) if args.default_model else None
        results.notes.append("training not measured in this run (--no-training)")
    else:
        for name, config, file_name in (
            (BOT, args.config, "bot"),
            (DEFAULT_RECIPE, args.default_config, "default-recipe"),
        ):
            trained, training = train(config, args.domain, work, file_name)
            results.training.append(training)
            models[name] = trained if training.ok else None

    for name, model in models.items():
        if model is None or not model.exists():
            results.notes.append(f"{name}: no model, accuracy not measured")
            continue
        print(f"bench: held-out answers of {name} ...", flush=True)
        answers = await bot_answers(model, examples, sections)
        results.accuracy[name] = eval_heldout.score(examples, answers, sections, True)
    retriever = policy_retriever(Path(args.policy), Path(args.sections))
    tfidf_answers = retriever.answers([example.text for example in examples])
    results.accuracy[TFIDF] = eval_heldout.score(examples, tfidf_answers, sections, False)
    results.notes.append(
        f"{len(examples)} held-out questions from {args.nlu}; the TF-IDF baseline retrieves from "
        f"{len(retriever.passages)} policy passages."
    )

    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    bot_model = models.get(BOT)
    texts = [e.text for e in examples if e.intent in LATENCY_INTENTS]
    if bot_model is not None and bot_model.exists() and texts:
        with Stack(bot_model, work) as stack:
            print("bench: waiting for rasa run and the action server ...", flush=True)
            await stack.wait_ready()
            # one warm-up conversation so the first measured request does not pay for loading
            await rasa_latency(stack.webhook, texts, 1, 3, 30)
            for concurrency in levels:
                print(f"bench: webhook latency at {concurrency} conversation(s) ...", flush=True)
                level = await rasa_latency(
                    stack.webhook, texts, concurrency, args.messages, args.level_seconds
                )
                results.latency.append(level.summary())
        results.notes.append(
            f"webhook load: up to {args.messages} messages per conversation, at most "
            f"{args.level_seconds:.0f} s per level, FAQ and small-talk questions from the held-out "
            "set, in-memory tracker store."
        )
    else:
        results.notes.append("webhook latency not measured: no model of this bot")
    results.notes.append(
        f"machine load (1-minute load average): {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} before the help desk runs, on {results.cores} cores; "
        "other work on the machine slows training and replies."
    )
    if args.helpdesk_requests > 0:
        helpdesk, note = await helpdesk_latency(levels, args.helpdesk_requests)
        results.latency += helpdesk
        if note:
            results.notes.append(note)
    else:
        results.notes.append("help desk ticket creation: skipped (--helpdesk-requests 0)")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    temporary = args.work is None
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = asyncio.run(run(args, work))
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    chart = out / "bench.png"
    eval_bench.draw_chart(results, chart)
    markdown = eval_bench.bench_markdown(results, BOT, [DEFAULT_RECIPE, TFIDF], chart.name)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"bench: wrote {out / 'bench.md'} and {chart}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
