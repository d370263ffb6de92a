import json
from pathlib import Path
from typing import Any, Dict

import pytest

from scripts.nlu_gate import accuracy, evaluate_reports, main, weakest_labels


def _intent_report(macro_f1: float) -> Dict[str, Any]:
    return {
        "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 5},
        "faq": {"precision": 0.8, "recall": 0.9, "f1-score": 0.85, "support": 50},
        "accuracy": 0.9,
        "macro avg": {"precision": 0.9, "recall": 0.9, "f1-score": macro_f1, "support": 55},
        "weighted avg": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 55},
    }


def _response_report(correct: int, total: int) -> Dict[str, Any]:
    recall = correct / total
    return {
        "faq/cookies": {"precision": 1.0, "recall": recall, "f1-score": recall, "support": total},
        "micro avg": {"precision": recall, "recall": recall, "f1-score": recall, "support": total},
        "macro avg": {"precision": 1.0, "recall": recall, "f1-score": recall, "support": total},
        "weighted avg": {"precision": 1.0, "recall": recall, "f1-score": recall, "support": total},
    }


def _write(directory: Path, intent_f1: float, correct: int, total: int) -> Path:
    (directory / "intent_report.json").write_text(json.dumps(_intent_report(intent_f1)))
    (directory / "response_selection_report.json").write_text(
        json.dumps(_response_report(correct, total))
    )
    return directory


def test_scores_above_both_floors_pass(tmp_path: Path) -> None:
    _write(tmp_path, intent_f1=0.97, correct=98, total=100)

    assert main([str(tmp_path)]) == 0


@pytest.mark.parametrize(
    ("intent_f1", "correct", "failing"),
    [(0.94, 100, "intent macro-F1"), (0.99, 90, "response selection accuracy")],
)
def test_a_score_below_its_floor_fails(
    tmp_path: Path, intent_f1: float, correct: int, failing: str
) -> None:
    _write(tmp_path, intent_f1=intent_f1, correct=correct, total=100)

    results = evaluate_reports(tmp_path, 0.95, 0.95)

    assert [r.name for r in results if not r.passed] == [failing]
    assert main([str(tmp_path)]) == 1


def test_missing_reports_are_an_error_not_a_pass(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 2


def test_accuracy_falls_back_to_weighted_recall_when_rasa_writes_micro_avg() -> None:
    assert accuracy(_response_report(93, 100)) == pytest.approx(0.93)


def test_weakest_labels_lists_imperfect_labels_lowest_first() -> None:
    assert weakest_labels(_intent_report(0.9)) == ["faq (0.85)"]
