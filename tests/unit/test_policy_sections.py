"""One cut of the policy: the site shows under each anchor the text the coverage check hashes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.policy_sections import (
    PolicySectionsError,
    enclosing_headings,
    load_sections,
    parse_sections,
    split_policy,
    text_hash,
    topic_sections,
)
from bot.site.policy import load_policy, render_markdown
from scripts import baselines, eval_heldout, policy_coverage

POLICY_DIR = Path(__file__).resolve().parents[2] / "data" / "policy"
POLICY = POLICY_DIR / "privacy-policy.md"
SECTIONS = POLICY_DIR / "sections.yml"
WEBSITES_HEADING = "Handling of Personal Information on Websites"


def site_sections() -> dict[str, str]:
    html = load_policy(POLICY, SECTIONS).html
    found = re.findall(
        r'<section class="policy-section" id="([^"]+)">\n(.*?)\n<p class', html, re.S
    )
    return dict(found)


def coverage_texts() -> dict[str, str]:
    return policy_coverage.split_policy(POLICY.read_text(encoding="utf-8"), load_sections(SECTIONS))


def test_the_site_and_the_coverage_check_agree_on_every_sections_text() -> None:
    shown, hashed = site_sections(), coverage_texts()

    assert list(shown) == list(hashed)
    for anchor, text in hashed.items():
        assert shown[anchor] == render_markdown(text), anchor


def test_every_recorded_hash_is_of_the_text_the_site_shows() -> None:
    texts = coverage_texts()
    for section in load_sections(SECTIONS):
        assert section.sha256 == text_hash(texts[section.id]), section.id


def test_the_websites_heading_belongs_to_request_to_customers_everywhere() -> None:
    shown, hashed = site_sections(), coverage_texts()
    passages = baselines.split_passages(hashed)

    assert WEBSITES_HEADING in shown["request-to-customers"]
    assert WEBSITES_HEADING not in shown["joint-use"]
    assert WEBSITES_HEADING in hashed["request-to-customers"]
    assert WEBSITES_HEADING not in hashed["joint-use"]
    assert {p.section for p in passages} == set(hashed)


def test_the_evaluation_reads_the_same_topics() -> None:
    document = SECTIONS.read_text(encoding="utf-8")
    mapping = eval_heldout.topic_sections(document)
    assert mapping == topic_sections(document)
    for section in parse_sections(document):
        assert all(mapping[topic] for topic in section.topics)


def test_a_start_line_found_twice_is_a_clear_error() -> None:
    (section,) = parse_sections("- id: a\n  title: A\n  starts_at: '## A'\n")
    with pytest.raises(PolicySectionsError, match="appears 2 times"):
        split_policy("## A\none\n## A\ntwo\n", [section])


def test_the_cookies_label_is_nested_in_request_to_customers_and_the_websites_heading() -> None:
    outline = enclosing_headings(POLICY.read_text(encoding="utf-8"))

    assert outline["use of cookies"] == {"request to customers", WEBSITES_HEADING.lower()}
    assert outline["request to customers"] == {WEBSITES_HEADING.lower()}
    assert outline["remarks"] == frozenset()  # the document's titles enclose nothing


def test_a_heading_closes_every_deeper_one_before_it() -> None:
    text = "## Title\n### A\n#### A1\n_*label_\n### B\nbody\n#### B1\n"

    outline = enclosing_headings(text)

    assert outline["label"] == {"a", "a1"}
    assert outline["b1"] == {"b"}
    assert outline["b"] == frozenset()
