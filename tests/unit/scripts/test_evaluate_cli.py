"""`python -m scripts.evaluate --report-only` turns Rasa's report folders into evaluation.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import evaluate


def _write(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


def test_report_links_images_names_weak_intents_and_failed_stories(tmp_path: Path) -> None:
    heldout = tmp_path / "evaluation" / "heldout"
    _write(
        heldout / "intent_report.json",
        {
            "faq": {"precision": 0.9, "recall": 0.8, "f1-score": 0.85, "support": 10,
                    "confused_with": {"greet": 2}},
            "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 3},
            "accuracy": 0.85,
            "macro avg": {"precision": 0.95, "recall": 0.9, "f1-score": 0.92, "support": 13},
        },
    )  # fmt: skip
    _write(heldout / "intent_confusion_matrix.png", "png")
    stories = tmp_path / "evaluation" / "stories"
    _write(
        stories / "story_report.json",
        {"conversation_accuracy": {"correct": 3, "total": 4}, "accuracy": 0.9},
    )
    _write(stories / "failed_test_stories.yml", "stories:\n- story: erasure happy path\n")

    code = evaluate.main(["--report-only", "--out", str(tmp_path)])

    report = (tmp_path / "evaluation.md").read_text()
    assert code == 0
    assert "Weakest intents: `faq` (0.85)." in report
    assert "![Intent confusion matrix](evaluation/heldout/intent_confusion_matrix.png)" in report
    assert "Intent confidence histogram" not in report  # no image, no dead link
    assert "**3/4** (75.0%)" in report
    assert "- erasure happy path" in report
    assert "- cross-validation: no report found" in report


def test_report_only_without_any_report_fails(tmp_path: Path) -> None:
    assert evaluate.main(["--report-only", "--out", str(tmp_path)]) == 1


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = evaluate.main(["--model", str(tmp_path / "none.tar.gz"), "--out", str(tmp_path)])

    assert code == 2
    assert "run `make train` first" in capsys.readouterr().err


def test_cross_validation_command_trains_the_given_config_with_folds(tmp_path: Path) -> None:
    command = evaluate.cross_validation_command("config.yml", "data/nlu", "domain.yml", 5, tmp_path)

    assert command[1:5] == ["test", "nlu", "--cross-validation", "--folds"]
    assert command[5] == "5"
    assert command[command.index("--config") + 1] == "config.yml"
