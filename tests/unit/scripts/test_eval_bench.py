"""Benchmark figures: percentiles, target verdicts and the Markdown table."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.eval_bench import (
    RASA_WEBHOOK,
    BenchResults,
    LatencyResult,
    TrainingResult,
    bench_markdown,
    draw_chart,
    percentile,
    verdicts,
)
from scripts.eval_heldout import Score


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]

    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile(values, 100) == 50.0
    assert percentile([], 50) is None


def test_percentile_rejects_values_outside_0_to_100() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_throughput_counts_successful_requests_per_second() -> None:
    level = LatencyResult("rasa", 8, (1.0, 2.0, 3.0, 4.0), errors=1, wall_seconds=2.0)

    assert level.throughput == 2.0
    assert level.requests == 5


def _results() -> BenchResults:
    results = BenchResults(date="2026-11-25", cores=2, versions={"rasa": "3.6.21"})
    results.accuracy["bot"] = Score(10, 9, 8, 8, 7, 2, 1)
    results.accuracy["tfidf"] = Score(10, 4, 8, 4, None, 2, 0)
    results.training.append(TrainingResult("config.yml", 150.0, 2 * 2**30, ok=True))
    results.latency.append(LatencyResult(RASA_WEBHOOK, 1, (50.0,) * 20, 0, 1.0).summary())
    results.latency.append(
        LatencyResult(RASA_WEBHOOK, 32, (400.0,) * 18 + (900.0,) * 2, 0, 1.0).summary()
    )
    return results


def test_verdicts_compare_with_each_baseline_and_the_targets() -> None:
    found = {v.target: v for v in verdicts(_results(), "bot", ["tfidf", "missing"])}

    assert found["held-out accuracy of bot ahead of tfidf"].met is True
    assert found["held-out accuracy of bot ahead of missing"].met is None
    assert found["Rasa reply p95 < 100 ms at 1 conversation(s)"].met is True
    assert found["Rasa reply p95 < 500 ms at 32 conversation(s)"].met is False
    assert found["training (config.yml) < 120 s"].met is False


def test_markdown_shows_machine_accuracy_training_and_latency() -> None:
    text = bench_markdown(_results(), "bot", ["tfidf"], "bench.png")

    assert "with 2 CPU cores (rasa 3.6.21)" in text
    assert "| bot | 90.0% (9/10) | 100.0% | 87.5% | 50.0% |" in text
    assert "| tfidf | 40.0% (4/10) | 50.0% | n/a | 0.0% |" in text
    assert "| `config.yml` | 150 s | 2048 MiB | yes |" in text
    assert "| rasa webhook | 1 | 20 | 0 | 50 ms | 50 ms | 50 ms | 20.0/s |" in text
    assert "**missed**" in text
    assert "![Benchmark chart](bench.png)" in text


def test_chart_is_written_as_png(tmp_path: Path) -> None:
    chart = tmp_path / "bench.png"

    draw_chart(_results(), chart)

    assert chart.read_bytes().startswith(b"\x89PNG")
