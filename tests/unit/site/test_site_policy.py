"""Rendering the policy: sections from sections.yml or the contract's table, and no raw HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.site.policy import (
    ARCHITECTURE_SECTIONS,
    PolicyError,
    PolicySection,
    load_policy,
    load_sections,
    render_markdown,
    render_policy,
)

POLICY_DIR = Path(__file__).resolve().parents[3] / "data" / "policy"

SAMPLE = """# Title

Intro text.

### First

First body.

### Group heading

#### Second

Second body.

_*Marked_
Marked body.
"""
SAMPLE_SECTIONS = (
    PolicySection("first", "First", "### First"),
    PolicySection("second", "Group: Second", "#### Second"),
    PolicySection("marked", "Marked", "_*Marked_"),
)


def section_html(html: str, anchor: str) -> str:
    match = re.search(rf'<section[^>]*id="{anchor}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {anchor}"
    return match.group(1)


def test_each_section_runs_from_its_marker_to_the_next() -> None:
    html = render_policy(SAMPLE, SAMPLE_SECTIONS).html

    assert "First body." in section_html(html, "first")
    assert "Second body." not in section_html(html, "first")
    assert "Second body." in section_html(html, "second")
    assert "Marked body." in section_html(html, "marked")
    assert "Intro text." not in section_html(html, "first")


def test_a_heading_left_alone_before_a_section_introduces_that_section() -> None:
    html = render_policy(SAMPLE, SAMPLE_SECTIONS).html

    assert "Group heading" in section_html(html, "second")
    assert "Group heading" not in section_html(html, "first")


def test_sections_come_back_in_the_order_of_the_text() -> None:
    shuffled = (SAMPLE_SECTIONS[2], SAMPLE_SECTIONS[0], SAMPLE_SECTIONS[1])

    rendered = render_policy(SAMPLE, shuffled)

    assert [section.anchor for section in rendered.sections] == ["first", "second", "marked"]


def test_headings_move_one_level_down_so_the_page_keeps_a_single_h1() -> None:
    html = render_policy(SAMPLE, SAMPLE_SECTIONS).html

    assert "<h1" not in html
    assert "<h2>Title</h2>" in html
    assert "<h4>First</h4>" in html


def test_a_marker_missing_from_the_text_is_a_clear_error() -> None:
    with pytest.raises(PolicyError, match="'gone'.*not in the policy"):
        render_policy(SAMPLE, (*SAMPLE_SECTIONS, PolicySection("gone", "Gone", "### Gone")))


def test_an_anchor_that_is_not_kebab_case_is_refused() -> None:
    with pytest.raises(PolicyError, match="kebab"):
        render_policy(SAMPLE, (PolicySection("First Section", "First", "### First"),))


def test_a_repeated_anchor_is_refused() -> None:
    with pytest.raises(PolicyError, match="twice"):
        render_policy(
            SAMPLE,
            (PolicySection("a", "First", "### First"), PolicySection("a", "Marked", "_*Marked_")),
        )


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert('x')</script>",
        "Hello <img src=x onerror=alert(1)> there",
        '<div onclick="steal()">click</div>',
    ],
)
def test_raw_html_in_the_text_is_shown_as_text(source: str) -> None:
    html = render_markdown(source)

    assert "<script" not in html and "<img" not in html and "<div" not in html
    assert "&lt;" in html


def test_unsafe_links_lose_their_target_and_external_ones_open_safely() -> None:
    html = render_markdown(
        "[bad](javascript:alert(1)) [ok](https://example.org/) [inside](#remarks) [](https://x.org/)"
    )

    assert "javascript:" not in html
    assert "<span>bad</span>" in html
    assert 'href="https://example.org/"' in html and 'rel="noopener noreferrer"' in html
    assert '<a href="#remarks">inside</a>' in html
    assert "x.org" not in html, "an empty link is dropped"


def test_images_are_replaced_by_their_description() -> None:
    html = render_markdown("See ![the logo](https://cdn.example.org/logo.png) here")

    assert "<img" not in html and "cdn.example.org" not in html
    assert "the logo" in html


def test_without_sections_yml_the_contract_table_is_used(tmp_path: Path) -> None:
    assert load_sections(tmp_path / "sections.yml") == ARCHITECTURE_SECTIONS


@pytest.mark.parametrize(
    "document",
    [
        "- id: first\n  title: First\n  marker: '### First'\n",
        "sections:\n  - id: first\n    title: First\n    heading: '### First'\n    topics: [a]\n",
        "- anchor: first\n  title: First\n  starts_at: '### First'\n  hash: abc\n",
    ],
)
def test_sections_yml_is_read_when_present(tmp_path: Path, document: str) -> None:
    path = tmp_path / "sections.yml"
    path.write_text(document, encoding="utf-8")

    assert load_sections(path) == (PolicySection("first", "First", "### First"),)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[]\n", "does not list any sections"),
        ("- id: first\n  title: First\n", "entry 1 lacks marker"),
        ("- just a string\n", "entry 1 is not a mapping"),
    ],
)
def test_a_broken_sections_yml_is_a_clear_error(
    tmp_path: Path, document: str, message: str
) -> None:
    path = tmp_path / "sections.yml"
    path.write_text(document, encoding="utf-8")

    with pytest.raises(PolicyError, match=message):
        load_sections(path)


def test_the_project_policy_has_every_section_of_the_contract() -> None:
    rendered = load_policy(POLICY_DIR / "privacy-policy.md", POLICY_DIR / "sections.yml")

    assert {section.anchor for section in rendered.sections} >= {
        section.anchor for section in ARCHITECTURE_SECTIONS
    }


def test_a_missing_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="missing"):
        load_policy(tmp_path / "privacy-policy.md", tmp_path / "sections.yml")
