"""Exact and near duplicates between held-out questions and training examples.

A held-out question is only worth something if the model never saw it, nor a trivial variant
of it. Texts are compared after normalisation (lower case, punctuation and entity annotations
removed, white space folded); a pair counts as a near duplicate when the Jaccard similarity of
their word sets is at least `NEAR_DUPLICATE_JACCARD`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

NEAR_DUPLICATE_JACCARD = 0.8
# `[text](entity)`, `[text]{"entity": ...}` and `[text][{...}]` annotations -> `text`
_ENTITY_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
_NOT_WORD = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class Text:
    text: str
    source: str


@dataclass(frozen=True)
class Leak:
    held_out: Text
    training: Text
    similarity: float


def normalise(text: str) -> str:
    """Lower case, no punctuation or annotations; a text of symbols only (emoji) stays as typed."""
    text = _ENTITY_ANNOTATION.sub(r"\1", text)
    words = " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    return words or " ".join(text.split())


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


# LibYAML's safe loader when PyYAML was built with it: the same documents, read 5-10x faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader) or {}


def nlu_examples(path: Path) -> Iterator[Text]:
    """Examples of a Rasa NLU file (`nlu: - intent: x  examples: | - text`)."""
    for block in _load(path).get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield Text(_ENTITY_ANNOTATION.sub(r"\1", line[2:].strip()), str(path))


def story_user_turns(path: Path) -> Iterator[Text]:
    """What customers type in Rasa test stories; button payloads (`/intent`) are not text."""
    for story in _load(path).get("stories") or []:
        for step in story.get("steps") or []:
            user = step.get("user") if isinstance(step, dict) else None
            if isinstance(user, str) and not user.strip().startswith("/"):
                yield Text(_ENTITY_ANNOTATION.sub(r"\1", user.strip()), str(path))


def customer_questions(path: Path) -> Iterator[Text]:
    """Cases of a held-out customer-questions file (`cases: - text: ...`)."""
    for case in _load(path).get("cases") or []:
        yield Text(str(case["text"]), f"{path}#{case.get('id', '?')}")


def _words_that_must_be_shared(words: frozenset[str], rarity: dict[str, int]) -> list[str]:
    """Enough of a text's words that any text with Jaccard >= the threshold shares one of them.

    A near duplicate B of A shares at least t*|A| words with it (|A & B| >= t*|A | B| >= t*|A|),
    so at most |A| - ceil(t*|A|) of A's words are missing from B: any |A| - ceil(t*|A|) + 1 of
    them include a shared one. Taking A's rarest words keeps the candidates few ("prefix
    filtering"): a common word like "my" would make every training example a candidate."""
    needed = len(words) - math.ceil(NEAR_DUPLICATE_JACCARD * len(words) - 1e-9) + 1
    return sorted(words, key=lambda word: (rarity.get(word, 0), word))[:needed]


def find_leaks(held_out: Iterable[Text], training: Iterable[Text]) -> list[Leak]:
    """Every held-out text that equals, or nearly equals, a training text."""
    exact: dict[str, Text] = {}
    indexed: list[tuple[frozenset[str], Text]] = []
    by_word: dict[str, list[int]] = {}
    for item in training:
        key = normalise(item.text)
        exact.setdefault(key, item)
        words = frozenset(key.split())
        for word in words:
            by_word.setdefault(word, []).append(len(indexed))
        indexed.append((words, item))
    rarity = {word: len(examples) for word, examples in by_word.items()}
    leaks: list[Leak] = []
    for item in held_out:
        key = normalise(item.text)
        if key in exact:
            leaks.append(Leak(item, exact[key], 1.0))
            continue
        words = frozenset(key.split())
        candidates = {
            index
            for word in _words_that_must_be_shared(words, rarity)
            for index in by_word.get(word, ())
        }
        best: tuple[float, Text] | None = None
        for index in sorted(candidates):
            similarity = jaccard(words, indexed[index][0])
            if similarity >= NEAR_DUPLICATE_JACCARD and (best is None or similarity > best[0]):
                best = (similarity, indexed[index][1])
        if best is not None:
            leaks.append(Leak(item, best[1], best[0]))
    return leaks
