"""Held-out questions and one rule for judging answers, shared by all systems `make bench` compares.

An answer is judged right when:

- for an FAQ question (`faq/<topic>`): the system answered from the policy section that the correct
  answer cites (sections come from data/policy/sections.yml: section id -> FAQ topics). For the bots
  we also count the stricter "exact response key" score;
- for any other question (requests, greetings, out of scope...): the predicted intent is the
  example's. A passage-retrieval baseline has no intents, so it is always wrong there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import yaml

from bot.policy_sections import topic_sections as topic_sections

FAQ_INTENT = "faq"
# `[text](entity)`, `[text]{"entity": ...}` and `[text][{...}]` annotations -> `text`
ENTITY_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    response_key: str | None  # "faq/<topic>" for FAQ questions


@dataclass(frozen=True)
class Answer:
    """What a system answered: an intent, and for FAQ answers the section it came from."""

    intent: str | None
    section: str | None = None
    response_key: str | None = None


@dataclass(frozen=True)
class Score:
    total: int
    correct: int
    faq_total: int
    faq_section_correct: int
    faq_key_correct: int | None  # None: the system has no response keys
    other_total: int
    other_correct: int

    @staticmethod
    def _ratio(part: int | None, whole: int) -> float | None:
        if part is None or not whole:
            return None
        return part / whole

    @property
    def accuracy(self) -> float | None:
        return self._ratio(self.correct, self.total)

    @property
    def faq_section_accuracy(self) -> float | None:
        return self._ratio(self.faq_section_correct, self.faq_total)

    @property
    def faq_key_accuracy(self) -> float | None:
        return self._ratio(self.faq_key_correct, self.faq_total)

    @property
    def other_accuracy(self) -> float | None:
        return self._ratio(self.other_correct, self.other_total)


def strip_annotations(text: str) -> str:
    return ENTITY_ANNOTATION.sub(r"\1", text).strip()


def parse_nlu_yaml(content: str) -> list[Example]:
    """The intent examples of one Rasa NLU YAML file (synonyms, lookups, regexes are skipped)."""
    data = yaml.safe_load(content) or {}
    examples: list[Example] = []
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        full_intent = str(block["intent"])
        intent, _, sub = full_intent.partition("/")
        response_key = full_intent if sub else None
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text = strip_annotations(line[2:])
            if text:
                examples.append(Example(text=text, intent=intent, response_key=response_key))
    return examples


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Examples from NLU YAML files and folders of them, in a stable order."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    examples: list[Example] = []
    for file in files:
        examples += parse_nlu_yaml(file.read_text(encoding="utf-8"))
    return examples


def section_of_key(response_key: str | None, sections: Mapping[str, str]) -> str | None:
    if not response_key or "/" not in response_key:
        return None
    return sections.get(response_key.split("/", 1)[1])


def is_right(example: Example, answer: Answer, sections: Mapping[str, str]) -> bool:
    if example.intent != FAQ_INTENT:
        return answer.intent == example.intent
    expected = section_of_key(example.response_key, sections)
    return answer.intent == FAQ_INTENT and expected is not None and answer.section == expected


def score(
    examples: Sequence[Example],
    answers: Sequence[Answer],
    sections: Mapping[str, str],
    has_response_keys: bool,
) -> Score:
    if len(examples) != len(answers):
        raise ValueError(f"{len(examples)} examples but {len(answers)} answers")
    correct = faq_total = faq_section = faq_key = other_total = other_correct = 0
    for example, answer in zip(examples, answers):
        right = is_right(example, answer, sections)
        correct += right
        if example.intent == FAQ_INTENT:
            faq_total += 1
            faq_section += right
            faq_key += answer.intent == FAQ_INTENT and answer.response_key == example.response_key
        else:
            other_total += 1
            other_correct += right
    return Score(
        total=len(examples),
        correct=correct,
        faq_total=faq_total,
        faq_section_correct=faq_section,
        faq_key_correct=faq_key if has_response_keys else None,
        other_total=other_total,
        other_correct=other_correct,
    )


def answer_from_parse(parse: Mapping[str, object], sections: Mapping[str, str]) -> Answer:
    """A bot's answer from Rasa's parse result (`/model/parse` or `Agent.parse_message`)."""
    intent_data = parse.get("intent")
    intent = intent_data.get("name") if isinstance(intent_data, dict) else None
    response_key: str | None = None
    selector = parse.get("response_selector")
    if intent == FAQ_INTENT and isinstance(selector, dict):
        chosen = selector.get(FAQ_INTENT) or selector.get("default") or {}
        response = chosen.get("response") if isinstance(chosen, dict) else None
        if isinstance(response, dict):
            key = response.get("intent_response_key")
            response_key = str(key) if key else None
    return Answer(
        intent=str(intent) if intent else None,
        section=section_of_key(response_key, sections),
        response_key=response_key,
    )
