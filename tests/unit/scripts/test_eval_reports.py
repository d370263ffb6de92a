"""The evaluation report is built from Rasa's JSON reports: checked on small fixtures."""

from __future__ import annotations

from typing import Any

from scripts import eval_reports

INTENT_REPORT: dict[str, Any] = {
    "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 4, "confused_with": {}},
    "faq": {
        "precision": 0.9,
        "recall": 0.95,
        "f1-score": 0.92,
        "support": 20,
        "confused_with": {"request_erasure": 1},
    },
    "request_erasure": {
        "precision": 0.5,
        "recall": 0.6,
        "f1-score": 0.55,
        "support": 5,
        "confused_with": {"faq": 2, "request_stop_use": 1},
    },
    "accuracy": 0.9,
    "macro avg": {"precision": 0.8, "recall": 0.85, "f1-score": 0.82, "support": 29},
    "weighted avg": {"precision": 0.88, "recall": 0.9, "f1-score": 0.89, "support": 29},
}
RESPONSE_REPORT: dict[str, Any] = {
    "faq/cookies": {"precision": 1.0, "recall": 0.5, "f1-score": 0.67, "support": 2,
                    "confused_with": {"faq/joint_use": 1}},
    "faq/joint_use": {"precision": 0.5, "recall": 1.0, "f1-score": 0.67, "support": 1},
    "micro avg": {"precision": 0.67, "recall": 0.67, "f1-score": 0.67, "support": 3},
    "macro avg": {"precision": 0.75, "recall": 0.75, "f1-score": 0.67, "support": 3},
}  # fmt: skip


def test_label_scores_list_the_weakest_first_and_skip_the_averages() -> None:
    scores = eval_reports.label_scores(INTENT_REPORT)

    assert [score.label for score in scores] == ["request_erasure", "faq", "greet"]
    assert scores[0].support == 5


def test_confusions_are_pairs_most_frequent_first() -> None:
    pairs = eval_reports.confusions(INTENT_REPORT)

    assert [(p.target, p.predicted, p.count) for p in pairs] == [
        ("request_erasure", "faq", 2),
        ("faq", "request_erasure", 1),
        ("request_erasure", "request_stop_use", 1),
    ]


def test_accuracy_falls_back_to_micro_recall_when_rasa_writes_no_accuracy() -> None:
    assert eval_reports.report_accuracy(INTENT_REPORT) == 0.9
    assert eval_reports.report_accuracy(RESPONSE_REPORT) == 0.67
    assert eval_reports.report_accuracy({}) is None


def test_weakest_leaves_out_perfect_labels() -> None:
    perfect_only = {"greet": INTENT_REPORT["greet"]}

    assert eval_reports.weakest(eval_reports.label_scores(perfect_only)) == []


def test_nlu_section_names_weakest_intents_response_keys_and_links_images() -> None:
    summary = eval_reports.summarise_nlu("Held-out", INTENT_REPORT, RESPONSE_REPORT)

    text = eval_reports.nlu_section(summary, {"Intent confusion matrix": "heldout/cm.png"})

    assert "Weakest intents: `request_erasure` (0.55), `faq` (0.92)." in text
    assert "`faq/cookies` (0.67)" in text
    assert "- `request_erasure` taken for `faq`: 2×" in text
    assert "![Intent confusion matrix](heldout/cm.png)" in text
    assert "response selection accuracy (`faq/<topic>`) **67.0%**" in text


def test_story_summary_reads_conversation_accuracy_and_failed_stories() -> None:
    report = {
        "conversation_accuracy": {"accuracy": 0.5, "correct": 1, "with_warnings": 0, "total": 2},
        "accuracy": 0.8,
        "macro avg": {"precision": 1, "recall": 1, "f1-score": 1, "support": 5},
    }
    failed = eval_reports.failed_story_names({"stories": [{"story": "erasure happy path"}]})

    summary = eval_reports.summarise_stories(report, failed)
    text = eval_reports.story_section(summary, {})

    assert summary.conversation_accuracy == 0.5
    assert "**1/2** (50.0%)" in text
    assert "- erasure happy path" in text


def test_evaluation_markdown_says_what_was_not_measured() -> None:
    text = eval_reports.evaluation_markdown(
        model="m.tar.gz", date="today", sections=["## A\n"], missing=["cross-validation: skipped"]
    )

    assert text.startswith("# Evaluation\n")
    assert "- cross-validation: skipped" in text
    assert text.endswith("## A\n")
