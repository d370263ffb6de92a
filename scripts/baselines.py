"""A TF-IDF passage-retrieval baseline over the privacy policy, the simplest way to "answer".

The policy is cut into its sections (bot.policy_sections: the cut the site shows and the coverage
check hashes), each section into passages (paragraphs and list items). A question is answered with
the passage most similar to it (TF-IDF, cosine similarity), i.e. from that passage's section. It
has no notion of requests or small talk, so it answers every question with some passage.

    python -m scripts.baselines [--nlu tests/nlu]   # prints its held-out accuracy
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from bot.policy_sections import load_sections, split_policy
from scripts import eval_heldout

LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+\.)\s+")
HEADING = re.compile(r"^\s*#+\s*")
MARKUP = re.compile(r"[_*`>]+")
MIN_PASSAGE_WORDS = 4


@dataclass(frozen=True)
class Passage:
    section: str
    text: str


def split_passages(section_texts: Mapping[str, str]) -> list[Passage]:
    """Paragraphs and list items of every section, without Markdown marks; headings and other
    fragments shorter than 4 words are dropped."""
    passages: list[Passage] = []
    for section, text in section_texts.items():
        chunks: list[list[str]] = [[]]
        for line in text.splitlines():
            heading = bool(HEADING.match(line))
            if not line.strip() or LIST_ITEM.match(line) or heading:
                chunks.append([])
            if line.strip():
                chunks[-1].append(LIST_ITEM.sub("", HEADING.sub("", line)).strip())
            if heading:
                chunks.append([])
        for chunk in chunks:
            passage = " ".join(MARKUP.sub("", " ".join(chunk)).split())
            if len(passage.split()) >= MIN_PASSAGE_WORDS:
                passages.append(Passage(section=section, text=passage))
    return passages


class TfidfRetriever:
    """Answers a question with the section of the most similar passage."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not passages:
            raise ValueError("no passages to retrieve from")
        self.passages = list(passages)
        self.vectorizer = TfidfVectorizer(
            lowercase=True, stop_words="english", sublinear_tf=True, ngram_range=(1, 2)
        )
        self.matrix = self.vectorizer.fit_transform([p.text for p in self.passages])

    def best(self, questions: Sequence[str]) -> list[Passage]:
        from sklearn.metrics.pairwise import linear_kernel

        if not questions:
            return []
        similarities = linear_kernel(self.vectorizer.transform(list(questions)), self.matrix)
        return [self.passages[int(row.argmax())] for row in similarities]

    def answers(self, questions: Sequence[str]) -> list[eval_heldout.Answer]:
        return [
            eval_heldout.Answer(intent=eval_heldout.FAQ_INTENT, section=passage.section)
            for passage in self.best(questions)
        ]


def policy_retriever(policy: Path, sections_file: Path) -> TfidfRetriever:
    sections = load_sections(sections_file)
    texts = split_policy(policy.read_text(encoding="utf-8"), sections).texts()
    return TfidfRetriever(split_passages(texts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nlu", default="tests/nlu", help="held-out NLU file or folder")
    parser.add_argument("--policy", default="data/policy/privacy-policy.md")
    parser.add_argument("--sections", default="data/policy/sections.yml")
    args = parser.parse_args(argv)
    examples = eval_heldout.load_examples([Path(args.nlu)])
    sections = eval_heldout.topic_sections(Path(args.sections).read_text(encoding="utf-8"))
    retriever = policy_retriever(Path(args.policy), Path(args.sections))
    answers = retriever.answers([example.text for example in examples])
    result = eval_heldout.score(examples, answers, sections, has_response_keys=False)
    print(
        f"TF-IDF baseline: {result.correct}/{result.total} right "
        f"(FAQ, right section: {result.faq_section_correct}/{result.faq_total}; "
        f"other intents: {result.other_correct}/{result.other_total}, it cannot answer them)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
