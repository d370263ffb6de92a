"""The numbers of `make bench` and how they are reported: percentiles, targets, Markdown, chart.

Pure functions (the chart aside, which only draws what it is given), unit-tested on made-up figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from scripts.eval_heldout import Score

RASA_WEBHOOK = "rasa webhook"
TARGET_TRAIN_SECONDS = 120.0
TARGET_P95_MS = {1: 100.0, 32: 500.0}


@dataclass(frozen=True)
class LatencyResult:
    """One load level: `concurrency` conversations sending messages one after the other."""

    target: str
    concurrency: int
    latencies_ms: tuple[float, ...]
    errors: int
    wall_seconds: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        """Successful requests per second over the level's wall time."""
        return len(self.latencies_ms) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def percentile(self, p: float) -> float | None:
        return percentile(self.latencies_ms, p)

    def summary(self) -> LatencySummary:
        return LatencySummary(
            target=self.target,
            concurrency=self.concurrency,
            requests=self.requests,
            errors=self.errors,
            p50_ms=self.percentile(50),
            p95_ms=self.percentile(95),
            p99_ms=self.percentile(99),
            throughput=self.throughput,
        )


@dataclass(frozen=True)
class LatencySummary:
    """The figures reported for one load level (measured here or by another script)."""

    target: str
    concurrency: int
    requests: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    throughput: float


@dataclass(frozen=True)
class TrainingResult:
    config: str
    seconds: float
    peak_rss_bytes: int
    ok: bool


@dataclass
class BenchResults:
    date: str
    cores: int
    versions: dict[str, str]
    accuracy: dict[str, Score] = field(default_factory=dict)
    training: list[TrainingResult] = field(default_factory=list)
    latency: list[LatencySummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks; None if empty.

    The one definition for every figure `make bench` reports (the bot and the help desk)."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, not {p}")
    return float(np.percentile(np.asarray(values, dtype=float), p))


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def verdicts(results: BenchResults, bot: str, baselines: Sequence[str]) -> list[Verdict]:
    found: list[Verdict] = []
    mine = results.accuracy.get(bot)
    for other in baselines:
        theirs = results.accuracy.get(other)
        mine_accuracy = mine.accuracy if mine else None
        their_accuracy = theirs.accuracy if theirs else None
        measured = f"{_pct(mine_accuracy)} vs {_pct(their_accuracy)}"
        met = None
        if mine and theirs and mine.accuracy is not None and theirs.accuracy is not None:
            met = mine.accuracy > theirs.accuracy
        found.append(Verdict(f"held-out accuracy of {bot} ahead of {other}", measured, met))
    for concurrency, limit in TARGET_P95_MS.items():
        level = next(
            (
                r
                for r in results.latency
                if r.target == RASA_WEBHOOK and r.concurrency == concurrency
            ),
            None,
        )
        p95 = level.p95_ms if level else None
        found.append(
            Verdict(
                f"Rasa reply p95 < {limit:.0f} ms at {concurrency} conversation(s)",
                _ms(p95),
                None if p95 is None else p95 < limit,
            )
        )
    for training in results.training:
        if training.config == "config.yml":
            found.append(
                Verdict(
                    f"training ({training.config}) < {TARGET_TRAIN_SECONDS:.0f} s",
                    f"{training.seconds:.0f} s",
                    training.ok and training.seconds < TARGET_TRAIN_SECONDS,
                )
            )
    return found


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def bench_markdown(
    results: BenchResults, bot: str, baselines: Sequence[str], chart: str | None
) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in results.versions.items())
    lines = [
        "# Benchmark",
        "",
        f"Measured {results.date} on one machine with {results.cores} CPU cores ({versions}), "
        "all systems in the same run of `make bench` (`python -m scripts.bench`).",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [
        f"| {v.target} | {v.measured} | {_mark(v.met)} |" for v in verdicts(results, bot, baselines)
    ]
    lines += [
        "",
        "## Answer accuracy on the held-out questions",
        "",
        "Right = for an FAQ question, an answer from the policy section the correct answer cites; "
        "for any other question (requests, small talk, out of scope), the right intent. The TF-IDF "
        "baseline retrieves policy passages and has no intents, so it is wrong on every non-FAQ "
        "question. 'exact key' is the stricter FAQ score: the very answer expected "
        "(`faq/<topic>`).",
        "",
        "| system | all | FAQ: right section | FAQ: exact key | other intents |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, score in results.accuracy.items():
        key = "n/a" if score.faq_key_correct is None else f"{_pct(score.faq_key_accuracy)}"
        lines.append(
            f"| {name} | {_pct(score.accuracy)} ({score.correct}/{score.total}) "
            f"| {_pct(score.faq_section_accuracy)} | {key} | {_pct(score.other_accuracy)} |"
        )
    lines += [
        "",
        "## Training",
        "",
        "| config | time | peak RSS (process tree) | finished |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| `{t.config}` | {t.seconds:.0f} s | {t.peak_rss_bytes / 2**20:.0f} MiB "
        f"| {'yes' if t.ok else 'FAILED'} |"
        for t in results.training
    ]
    lines += [
        "",
        "## Latency and throughput",
        "",
        "| endpoint | conversations | requests | errors | p50 | p95 | p99 | throughput |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.target} | {r.concurrency} | {r.requests} | {r.errors} | {_ms(r.p50_ms)} "
        f"| {_ms(r.p95_ms)} | {_ms(r.p99_ms)} | {r.throughput:.1f}/s |"
        for r in results.latency
    ]
    if results.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {note}" for note in results.notes]
    if chart:
        lines += ["", f"![Benchmark chart]({chart})"]
    return "\n".join(lines) + "\n"


def draw_chart(results: BenchResults, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (accuracy_axes, training_axes, latency_axes) = plt.subplots(1, 3, figsize=(16, 5))
    names = list(results.accuracy)
    accuracy_axes.bar(names, [(s.accuracy or 0) * 100 for s in results.accuracy.values()])
    accuracy_axes.set_title("Held-out answer accuracy (%)")
    accuracy_axes.set_ylim(0, 100)
    accuracy_axes.tick_params(axis="x", labelrotation=15)

    configs = [t.config for t in results.training]
    training_axes.bar(configs, [t.seconds for t in results.training], color="tab:orange")
    training_axes.axhline(TARGET_TRAIN_SECONDS, color="red", linestyle="--", label="target")
    training_axes.set_title("Training time (s)")
    if not configs:
        training_axes.text(0.5, 0.5, "not measured", ha="center", transform=training_axes.transAxes)
    memory_axes = training_axes.twinx()
    memory_axes.plot(configs, [t.peak_rss_bytes / 2**20 for t in results.training], "ko")
    memory_axes.set_ylabel("peak RSS (MiB, dots)")
    memory_axes.set_ylim(bottom=0)
    training_axes.legend(loc="upper left")

    for target in sorted({r.target for r in results.latency}):
        levels = [r for r in results.latency if r.target == target]
        concurrencies = [r.concurrency for r in levels]
        for name, values, style in (
            ("p50", [r.p50_ms or 0 for r in levels], ":"),
            ("p95", [r.p95_ms or 0 for r in levels], "-"),
            ("p99", [r.p99_ms or 0 for r in levels], "--"),
        ):
            latency_axes.plot(concurrencies, values, style, marker="o", label=f"{target} {name}")
    for concurrency, limit in TARGET_P95_MS.items():
        latency_axes.plot([concurrency], [limit], "r*", markersize=12)
    latency_axes.plot([], [], "r*", label="p95 target")
    latency_axes.set_xscale("log", base=2)
    latency_axes.set_yscale("log")
    latency_axes.set_xlabel("concurrent conversations")
    latency_axes.set_title("Latency (ms)")
    latency_axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
