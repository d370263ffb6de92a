"""Fail `make test` when the held-out NLU scores fall below the floors of the issue.

Reads the reports that `rasa test nlu --out DIR` writes (intent_report.json and
response_selection_report.json) and compares intent macro-F1 and response selection
accuracy with their floors.

    python -m scripts.nlu_gate reports/nlu [--min-intent-f1 0.95] [--min-response-accuracy 0.95]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


@dataclass(frozen=True)
class GateResult:
    name: str
    value: float
    floor: float
    weakest: list[str]

    @property
    def passed(self) -> bool:
        return self.value >= self.floor

    def describe(self) -> str:
        verdict = "ok" if self.passed else "BELOW THE FLOOR"
        line = f"{self.name}: {self.value:.4f} (floor {self.floor:.2f}) {verdict}"
        if self.weakest:
            line += "\n    weakest: " + ", ".join(self.weakest)
        return line


def macro_f1(report: dict[str, Any]) -> float:
    return float(report["macro avg"]["f1-score"])


def accuracy(report: dict[str, Any]) -> float:
    """Accuracy as Rasa reports it, or the support-weighted recall, which equals it."""
    if isinstance(report.get("accuracy"), (int, float)):
        return float(report["accuracy"])
    return float(report["weighted avg"]["recall"])


def weakest_labels(report: dict[str, Any], count: int = 5) -> list[str]:
    per_label = [
        (name, scores["f1-score"])
        for name, scores in report.items()
        if name not in SUMMARY_KEYS and isinstance(scores, dict) and "f1-score" in scores
    ]
    per_label.sort(key=lambda item: item[1])
    return [f"{name} ({f1:.2f})" for name, f1 in per_label[:count] if f1 < 1.0]


def evaluate_reports(
    report_dir: Path, min_intent_f1: float, min_response_accuracy: float
) -> list[GateResult]:
    intent_report = _load(report_dir / "intent_report.json")
    if intent_report is None:
        raise FileNotFoundError(
            f"{report_dir / 'intent_report.json'} is missing: run rasa test nlu"
        )
    results = [
        GateResult(
            "intent macro-F1", macro_f1(intent_report), min_intent_f1, weakest_labels(intent_report)
        )
    ]
    response_report = _load(report_dir / "response_selection_report.json")
    if response_report is None:
        raise FileNotFoundError(
            f"{report_dir / 'response_selection_report.json'} is missing: "
            "the held-out set has no retrieval-intent examples"
        )
    results.append(
        GateResult(
            "response selection accuracy",
            accuracy(response_report),
            min_response_accuracy,
            weakest_labels(response_report),
        )
    )
    return results


def _load(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--min-intent-f1", type=float, default=0.95)
    parser.add_argument("--min-response-accuracy", type=float, default=0.95)
    args = parser.parse_args(argv)
    try:
        results = evaluate_reports(args.report_dir, args.min_intent_f1, args.min_response_accuracy)
    except FileNotFoundError as error:
        print(f"NLU gate: {error}", file=sys.stderr)
        return 2
    for result in results:
        print(result.describe())
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
