"""Fail `make test` when the held-out NLU scores fall below the floors of the issue.

Reads the reports that `rasa test nlu --out DIR` writes (intent_report.json and
response_selection_report.json) and compares intent macro-F1 and response selection
accuracy with their floors.

    python -m scripts.nlu_gate reports/nlu [--min-intent-f1 0.95] [--min-response-accuracy 0.95]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from scripts.eval_reports import label_scores, macro_f1, read_report, report_accuracy


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


def accuracy(report: Mapping[str, Any]) -> float:
    """Accuracy as Rasa reports it (or its micro-averaged recall, which equals it)."""
    value = report_accuracy(report)
    if value is None:
        raise ValueError("the report has no accuracy")
    return value


def weakest_labels(report: Mapping[str, Any], count: int = 5) -> list[str]:
    return [f"{s.label} ({s.f1:.2f})" for s in label_scores(report)[:count] if s.f1 < 1.0]


def _report(path: Path, missing: str) -> dict[str, Any]:
    report = read_report(path)
    if not report:
        raise FileNotFoundError(f"{path} is missing: {missing}")
    return report


def evaluate_reports(
    report_dir: Path, min_intent_f1: float, min_response_accuracy: float
) -> list[GateResult]:
    intents = _report(report_dir / "intent_report.json", "run rasa test nlu")
    intent_f1 = macro_f1(intents)
    if intent_f1 is None:
        raise ValueError("the intent report has no macro-averaged F1")
    responses = _report(
        report_dir / "response_selection_report.json",
        "the held-out set has no retrieval-intent examples",
    )
    return [
        GateResult("intent macro-F1", intent_f1, min_intent_f1, weakest_labels(intents)),
        GateResult(
            "response selection accuracy",
            accuracy(responses),
            min_response_accuracy,
            weakest_labels(responses),
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--min-intent-f1", type=float, default=0.95)
    parser.add_argument("--min-response-accuracy", type=float, default=0.95)
    parser.add_argument(
        "--diagnostic",
        action="store_true",
        help="report against the floors but never fail (the end-to-end gates are the gates)",
    )
    args = parser.parse_args(argv)
    try:
        results = evaluate_reports(args.report_dir, args.min_intent_f1, args.min_response_accuracy)
    except (FileNotFoundError, ValueError) as error:
        print(f"NLU gate: {error}", file=sys.stderr)
        return 2
    for result in results:
        print(result.describe())
    if args.diagnostic:
        return 0
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
