"""The TF-IDF baseline answers from the policy passage most like the question."""

from __future__ import annotations

import pytest

from scripts.baselines import Passage, TfidfRetriever, split_passages


def test_sections_split_into_paragraphs_and_list_items_without_fragments() -> None:
    texts = {
        "cookies": "### Use of cookies\n\nWe use cookies to remember your settings.\n"
        "  * You can disable cookies in your browser settings.\n  * Short item.\n",
        "remarks": "### Remarks\nThese _terms_ follow the laws of Japan.",
    }

    passages = split_passages(texts)

    assert passages == [
        Passage("cookies", "We use cookies to remember your settings."),
        Passage("cookies", "You can disable cookies in your browser settings."),
        Passage("remarks", "These terms follow the laws of Japan."),
    ]


def test_retriever_answers_from_the_most_similar_passage() -> None:
    retriever = TfidfRetriever(
        [
            Passage("cookies", "You can disable cookies in your web browser settings."),
            Passage("remarks", "These terms are governed by the laws of Japan."),
        ]
    )

    answers = retriever.answers(["how do I turn off cookies in my browser", "which laws govern"])

    assert [answer.section for answer in answers] == ["cookies", "remarks"]
    assert {answer.intent for answer in answers} == {"faq"}


def test_retriever_needs_passages() -> None:
    with pytest.raises(ValueError, match="no passages"):
        TfidfRetriever([])
