"""No held-out question (nor any of the development set) is a copy, or a near copy, of a
training example."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.evaluation.leakage import (
    NEAR_DUPLICATE_JACCARD,
    Text,
    customer_questions,
    find_leaks,
    jaccard,
    nlu_examples,
    normalise,
    story_user_turns,
)

ROOT = Path(__file__).resolve().parents[2]


def training_examples() -> list[Text]:
    """data/nlu, and the candidate examples waiting to be moved there (data/candidates)."""
    paths = sorted((ROOT / "data" / "nlu").glob("*.yml"))
    paths += sorted((ROOT / "data" / "candidates").glob("*.yml"))
    return [text for path in paths for text in nlu_examples(path)]


def held_out_texts() -> list[Text]:
    texts = [
        t
        for folder in ("heldout", "dev")
        for p in sorted((ROOT / "tests" / folder).glob("*.yml"))
        for t in customer_questions(p)
    ]
    texts += [t for p in sorted((ROOT / "tests" / "nlu").glob("*.yml")) for t in nlu_examples(p)]
    texts += [
        t for p in sorted((ROOT / "tests" / "stories").glob("*.yml")) for t in story_user_turns(p)
    ]
    return texts


def test_the_held_out_sets_are_not_empty() -> None:
    sources = {Path(text.source.split("#")[0]).parent.name for text in held_out_texts()}
    assert sources == {"heldout", "dev", "nlu", "stories"}
    assert len(training_examples()) > 1000


def test_no_held_out_text_copies_a_training_example() -> None:
    leaks = find_leaks(held_out_texts(), training_examples())
    listing = "\n".join(
        f"{leak.similarity:.2f}  {leak.held_out.text!r} ({leak.held_out.source})"
        f"  ~  {leak.training.text!r} ({leak.training.source})"
        for leak in leaks
    )
    assert not leaks, f"{len(leaks)} held-out texts copy training examples:\n{listing}"


@pytest.mark.parametrize(
    ("held_out", "training", "leaks"),
    [
        ("Do you use cookies?", "do you use COOKIES", True),  # exact after normalisation
        ("how do you use my data at casio", "how do you use my data at casio please", True),
        ("is my [jane@example.com](email) kept", "is my jane example com kept", True),
        ("can cookies identify me", "do you sell my data", False),
        ("what do you use cookies for", "do you use cookies", False),  # 4/6 words shared
    ],
)
def test_exact_and_near_duplicates_are_found(held_out: str, training: str, leaks: bool) -> None:
    found = find_leaks([Text(held_out, "held")], [Text(training, "train")])
    assert bool(found) is leaks


def test_normalise_and_jaccard() -> None:
    assert normalise("  What's [my email](email)?!  ") == "what s my email"
    assert jaccard(frozenset("ab"), frozenset("ab")) == 1.0
    assert jaccard(frozenset("abcd"), frozenset("abce")) == pytest.approx(3 / 5)


def test_the_near_duplicate_search_finds_what_comparing_every_pair_finds() -> None:
    """It only looks at training texts sharing one of a text's rarest words; that must lose no
    pair, whatever the lengths and however common the shared words."""
    rng = random.Random(7)
    vocabulary = ["my", "data", "the", "you", "cookies", "delete", "casio", "a", "b", "c", "d"]

    def text() -> str:
        return " ".join(rng.choices(vocabulary, weights=range(11, 0, -1), k=rng.randint(1, 12)))

    training = [Text(text(), f"t{i}") for i in range(400)]
    held_out = [Text(text(), f"h{i}") for i in range(200)]

    def best_pair_similarity(item: Text) -> float:
        words = frozenset(normalise(item.text).split())
        return max(jaccard(words, frozenset(normalise(t.text).split())) for t in training)

    expected = {h.source for h in held_out if best_pair_similarity(h) >= NEAR_DUPLICATE_JACCARD}
    found = {leak.held_out.source for leak in find_leaks(held_out, training)}
    assert found == expected
    assert 10 < len(expected) < len(held_out)  # the sample has both kinds
