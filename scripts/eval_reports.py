"""Read the JSON reports `rasa test` writes and sum them up in Markdown.

`read_report` is the one reader of those files (for `make evaluate` and the NLU gate); the rest
are pure functions that take the parsed JSON (dicts) and return numbers or text, so the report
layout is tested on small fixtures without training a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

SUMMARY_KEYS = frozenset({"accuracy", "macro avg", "weighted avg", "micro avg"})


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Confusion:
    target: str
    predicted: str
    count: int


@dataclass(frozen=True)
class NluSummary:
    """One `rasa test nlu` run: an intent report and, if any, a response selection report."""

    title: str
    intents: list[LabelScore]
    confusions: list[Confusion]
    intent_accuracy: float | None
    intent_macro_f1: float | None
    responses: list[LabelScore]
    response_confusions: list[Confusion]
    response_accuracy: float | None


@dataclass(frozen=True)
class StorySummary:
    conversations_correct: int
    conversations_total: int
    action_accuracy: float | None
    failed_story_names: list[str]

    @property
    def conversation_accuracy(self) -> float | None:
        if not self.conversations_total:
            return None
        return self.conversations_correct / self.conversations_total


def read_report(path: Path) -> dict[str, Any]:
    """A JSON report of `rasa test` (intent, response selection, story), or {} if there is none."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def label_scores(report: Mapping[str, Any]) -> list[LabelScore]:
    """Per-label scores of a Rasa classification report, lowest F1 first (ties by name)."""
    scores = [
        LabelScore(
            label=label,
            precision=float(values.get("precision", 0.0)),
            recall=float(values.get("recall", 0.0)),
            f1=float(values.get("f1-score", 0.0)),
            support=int(values.get("support", 0)),
        )
        for label, values in report.items()
        if label not in SUMMARY_KEYS and isinstance(values, Mapping) and "f1-score" in values
    ]
    return sorted(scores, key=lambda score: (score.f1, score.label))


def confusions(report: Mapping[str, Any]) -> list[Confusion]:
    """Every (target, predicted) pair from the reports' `confused_with`, most frequent first."""
    pairs = [
        Confusion(target=label, predicted=predicted, count=int(count))
        for label, values in report.items()
        if label not in SUMMARY_KEYS and isinstance(values, Mapping)
        for predicted, count in (values.get("confused_with") or {}).items()
    ]
    return sorted(pairs, key=lambda pair: (-pair.count, pair.target, pair.predicted))


def report_accuracy(report: Mapping[str, Any]) -> float | None:
    """Accuracy as Rasa writes it; when absent (micro avg instead), the micro-averaged recall."""
    if not report:
        return None
    value = report.get("accuracy")
    if isinstance(value, (int, float)):
        return float(value)
    for key in ("micro avg", "weighted avg"):
        if isinstance(report.get(key), Mapping):
            return float(report[key]["recall"])
    return None


def macro_f1(report: Mapping[str, Any]) -> float | None:
    macro = report.get("macro avg")
    if isinstance(macro, Mapping) and "f1-score" in macro:
        return float(macro["f1-score"])
    return None


def summarise_nlu(
    title: str, intent_report: Mapping[str, Any], response_report: Mapping[str, Any] | None
) -> NluSummary:
    response_report = response_report or {}
    return NluSummary(
        title=title,
        intents=label_scores(intent_report),
        confusions=confusions(intent_report),
        intent_accuracy=report_accuracy(intent_report),
        intent_macro_f1=macro_f1(intent_report),
        responses=label_scores(response_report),
        response_confusions=confusions(response_report),
        response_accuracy=report_accuracy(response_report),
    )


def summarise_stories(
    story_report: Mapping[str, Any], failed_story_names: Sequence[str] = ()
) -> StorySummary:
    conversation = story_report.get("conversation_accuracy") or {}
    total = int(conversation.get("total", 0))
    correct = int(conversation.get("correct", 0))
    if not total and failed_story_names:
        total = len(failed_story_names)
    return StorySummary(
        conversations_correct=correct,
        conversations_total=total,
        action_accuracy=report_accuracy(story_report),
        failed_story_names=list(failed_story_names),
    )


def failed_story_names(failed_stories_yaml: Mapping[str, Any] | None) -> list[str]:
    """Names of the stories in Rasa's failed_test_stories.yml (parsed)."""
    if not failed_stories_yaml:
        return []
    return [str(story.get("story", "?")) for story in failed_stories_yaml.get("stories") or []]


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _scores_table(scores: Sequence[LabelScore], limit: int | None = None) -> list[str]:
    shown = list(scores if limit is None else scores[:limit])
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| `{s.label}` | {s.precision:.2f} | {s.recall:.2f} | {s.f1:.2f} | {s.support} |"
        for s in shown
    ]
    return lines


def _confusion_lines(pairs: Sequence[Confusion], limit: int) -> list[str]:
    if not pairs:
        return ["No confusions."]
    return [f"- `{p.target}` taken for `{p.predicted}`: {p.count}×" for p in pairs[:limit]]


def weakest(scores: Sequence[LabelScore], limit: int = 5) -> list[LabelScore]:
    """The lowest-F1 labels that are not perfect."""
    return [score for score in scores[:limit] if score.f1 < 1.0]


def nlu_section(summary: NluSummary, images: Mapping[str, str], weakest_count: int = 5) -> str:
    lines = [f"## {summary.title}", ""]
    lines.append(
        f"Intent accuracy **{_percent(summary.intent_accuracy)}**, "
        f"macro-F1 **{_percent(summary.intent_macro_f1)}**; "
        f"response selection accuracy (`faq/<topic>`) **{_percent(summary.response_accuracy)}**."
    )
    lines.append("")
    weak_intents = weakest(summary.intents, weakest_count)
    lines.append("Weakest intents: " + _names(weak_intents) + ".")
    weak_responses = weakest(summary.responses, weakest_count)
    lines.append("Weakest response keys: " + _names(weak_responses) + ".")
    lines += ["", "Most confused intent pairs:", ""]
    lines += _confusion_lines(summary.confusions, weakest_count)
    lines += ["", "Most confused response keys:", ""]
    lines += _confusion_lines(summary.response_confusions, weakest_count)
    if images:
        lines += [""]
        lines += [f"![{caption}]({path})" for caption, path in images.items()]
    lines += ["", "<details><summary>Per intent</summary>", ""]
    lines += _scores_table(summary.intents)
    lines += ["", "</details>", ""]
    if summary.responses:
        lines += ["<details><summary>Per response key</summary>", ""]
        lines += _scores_table(summary.responses)
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def _names(scores: Sequence[LabelScore]) -> str:
    if not scores:
        return "none (all perfect)"
    return ", ".join(f"`{s.label}` ({s.f1:.2f})" for s in scores)


def story_section(summary: StorySummary, images: Mapping[str, str]) -> str:
    lines = ["## Test stories (`tests/stories`)", ""]
    lines.append(
        f"Conversations fully right: **{summary.conversations_correct}/"
        f"{summary.conversations_total}** ({_percent(summary.conversation_accuracy)}); "
        f"action-level accuracy **{_percent(summary.action_accuracy)}**."
    )
    if summary.failed_story_names:
        lines += ["", "Failed stories:", ""]
        lines += [f"- {name}" for name in summary.failed_story_names]
    if images:
        lines += [""]
        lines += [f"![{caption}]({path})" for caption, path in images.items()]
    lines.append("")
    return "\n".join(lines)


def evaluation_markdown(
    *,
    model: str,
    date: str,
    sections: Sequence[str],
    missing: Sequence[str] = (),
) -> str:
    lines = [
        "# Evaluation",
        "",
        f"Model `{model}`, evaluated {date} by `make evaluate` (`python -m scripts.evaluate`).",
        "",
    ]
    if missing:
        lines += ["Not measured in this run:", ""]
        lines += [f"- {reason}" for reason in missing]
        lines.append("")
    lines += list(sections)
    return "\n".join(lines).rstrip() + "\n"
