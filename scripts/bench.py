"""`make bench`: this bot against two baselines, side by side in one run on this machine.

1. trains the model with config.yml and with Rasa's default recipe (config.default.yml) on the same
   data, one after the other, measuring wall time and the peak RSS of the `rasa train` process tree;
2. answers the held-out questions (tests/nlu) with both models and with a TF-IDF passage-retrieval
   baseline over the policy (scripts/baselines.py), judged by one rule (scripts/eval_heldout.py);
3. loads the deployments people run (scripts/bench_load.py: the SQLite default, PostgreSQL +
   Redis with 1 and 2 workers, the whole stack) with simulated customers at 1/8/32/64
   concurrent conversations;
4. measures the help desk's ticket creation with scripts/bench_helpdesk.py when it is present;

and writes reports/bench.md (Markdown tables; the load figures also in reports/bench-load.md)
and reports/bench.png and reports/bench-load.png (charts).

    python -m scripts.bench [--out reports] [--work /tmp/bench-xyz]
    python -m scripts.bench --model models/policy-assistant.tar.gz --default-model M --no-training
    python -m scripts.bench --quick    # no training (models/), short load levels: minutes
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import importlib.metadata
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

from bot import rasa_training
from scripts import bench_load, eval_bench, eval_heldout
from scripts.baselines import policy_retriever
from scripts.eval_process import run_measured
from scripts.evaluate import rasa_env

BOT = "this bot (config.yml)"
DEFAULT_RECIPE = "Rasa default recipe"
TFIDF = "TF-IDF passage retrieval"
TRAIN_DATA = ["data/nlu", "data/rules", "data/stories"]
DEFAULT_MODEL = Path("models/policy-assistant.tar.gz")


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
    command = rasa_training.train_command(
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
    )
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
    parser.add_argument("--levels", default="1,8,32,64", help="concurrent conversations per level")
    parser.add_argument("--level-seconds", type=float, default=40.0, help="load time per level")
    parser.add_argument("--deployments", default="sqlite,prod-1,prod-2", help="to load (or none)")
    parser.add_argument(
        "--helpdesk-requests", type=int, default=200, help="tickets per level (0: skip)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"no training ({DEFAULT_MODEL}), load levels 1,32 for 15 s, 50 help desk tickets",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.no_training = True
        args.model = args.model or str(DEFAULT_MODEL)
        args.levels, args.level_seconds, args.helpdesk_requests = "1,32", 15.0, 50
    return args


def load_deployments(
    args: argparse.Namespace, model: Path, work: Path
) -> tuple[list[bench_load.DeploymentResult], dict[str, Any]]:
    """The deployments under the realistic mix (scripts/bench_load.py)."""
    load_args = bench_load.parse_args(
        ["--model", str(model), "--out", args.out, "--work", str(work / "load")]
        + ["--deployments", args.deployments, "--levels", args.levels]
        + ["--seconds", str(args.level_seconds)]
    )
    return bench_load.run(load_args)


def webhook_summaries(
    results: list[bench_load.DeploymentResult],
) -> list[eval_bench.LatencySummary]:
    """The deployed configuration's levels (the most workers measured) for the p95 verdicts."""
    if not results:
        return []
    deployed = results[-1]
    return [
        eval_bench.LatencySummary(
            target=eval_bench.RASA_WEBHOOK,
            concurrency=level.concurrency,
            requests=level.replies,
            errors=level.errors,
            p50_ms=level.p50_ms,
            p95_ms=level.p95_ms,
            p99_ms=level.p99_ms,
            throughput=level.throughput,
        )
        for level in deployed.levels
    ]


async def run(
    args: argparse.Namespace, work: Path
) -> tuple[eval_bench.BenchResults, tuple[list[bench_load.DeploymentResult], dict[str, Any]]]:
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
    load: tuple[list[bench_load.DeploymentResult], dict[str, Any]] = ([], {})
    if args.deployments == "none":
        results.notes.append("deployments not loaded (--deployments none)")
    elif bot_model is not None and bot_model.exists():
        # bench_load runs its own event loops, so it gets a thread of its own
        load = await asyncio.to_thread(load_deployments, args, bot_model, work)
        results.latency += webhook_summaries(load[0])
        results.notes.append(
            f"webhook latency: {load[0][-1].label if load[0] else '-'}, the realistic mix "
            "(scripts/bench_load.py); every deployment below."
        )
    else:
        results.notes.append("deployments not loaded: no model of this bot")
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
    return results, load


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    temporary = args.work is None
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results, (load_results, load_meta) = asyncio.run(run(args, work))
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    chart = out / "bench.png"
    eval_bench.draw_chart(results, chart)
    markdown = eval_bench.bench_markdown(results, BOT, [DEFAULT_RECIPE, TFIDF], chart.name)
    if load_results:
        load_markdown = bench_load.write_report(load_results, load_meta, out)
        markdown += "\n" + load_markdown.replace("# Load benchmark", "## Load benchmark", 1)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"bench: wrote {out / 'bench.md'} and {chart}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
