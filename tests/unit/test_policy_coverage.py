"""The policy-coverage check: every policy section has an answer, and text changes are flagged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.policy_sections import normalise
from scripts import policy_coverage
from scripts.policy_coverage import (
    CoverageError,
    answered_topics,
    check_coverage,
    load_sections,
    split_policy,
    text_hash,
)

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "data" / "policy" / "privacy-policy.md"
SECTIONS = ROOT / "data" / "policy" / "sections.yml"
DOMAIN = ROOT / "domain.yml"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


@pytest.fixture
def copies(tmp_path: Path) -> dict[str, Path]:
    """Throw-away copies of the policy, the sections file and the domain."""
    shutil.copy(POLICY, tmp_path / "policy.md")
    shutil.copy(SECTIONS, tmp_path / "sections.yml")
    shutil.copy(DOMAIN, tmp_path / "domain.yml")
    return {
        "policy": tmp_path / "policy.md",
        "sections": tmp_path / "sections.yml",
        "domain": tmp_path / "domain.yml",
    }


def run_check(copies: dict[str, Path], *extra: str) -> int:
    return policy_coverage.main(
        [
            "--policy",
            str(copies["policy"]),
            "--sections",
            str(copies["sections"]),
            "--domain",
            str(copies["domain"]),
            *extra,
        ]
    )


def test_the_real_policy_is_fully_answered_and_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert policy_coverage.main([]) == 0
    assert "every section is answered" in capsys.readouterr().out


def test_sections_match_the_anchors_of_the_architecture_contract() -> None:
    contract = ARCHITECTURE.read_text(encoding="utf-8")
    for section in load_sections(SECTIONS):
        assert f"| `{section.id}` |" in contract, section.id
        assert f"`{section.starts_at}`" in contract, section.starts_at


def test_sections_split_the_policy_in_order_without_overlap() -> None:
    sections = load_sections(SECTIONS)
    texts = split_policy(POLICY.read_text(encoding="utf-8"), sections)
    assert list(texts) == [section.id for section in sections]
    assert "Tokyo District Court" in texts["remarks"]
    assert "cookie" in texts["use-of-cookies"]
    assert "cookie" not in texts["request-to-customers"]
    assert texts["protection-policy"].startswith("### Personal Information Protection Policy")


def test_removing_a_sections_answers_fails(
    copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(copies["sections"].read_text(encoding="utf-8"))
    cookies = next(entry for entry in data["sections"] if entry["id"] == "use-of-cookies")
    cookies["topics"] = []
    copies["sections"].write_text(yaml.safe_dump(data), encoding="utf-8")

    assert run_check(copies) == 1
    assert "section 'use-of-cookies' (Use of cookies) lists no topic" in capsys.readouterr().err


def test_a_listed_topic_without_a_response_fails(
    copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    faq_domain = copies["domain"]
    data = yaml.safe_load(faq_domain.read_text(encoding="utf-8"))
    del data["responses"]["utter_faq/cookies_disable"]
    faq_domain.write_text(yaml.safe_dump(data), encoding="utf-8")

    assert run_check(copies) == 1
    assert "no utter_faq/cookies_disable response" in capsys.readouterr().err


def test_an_answer_that_belongs_to_no_section_fails(
    copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(copies["sections"].read_text(encoding="utf-8"))
    joint_use = next(entry for entry in data["sections"] if entry["id"] == "joint-use")
    joint_use["topics"].remove("joint_use_manager")
    copies["sections"].write_text(yaml.safe_dump(data), encoding="utf-8")

    assert run_check(copies) == 1
    assert "utter_faq/joint_use_manager answers no section" in capsys.readouterr().err


def test_a_changed_section_lists_its_answers_to_review_until_accepted(
    copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = copies["policy"].read_text(encoding="utf-8")
    changed = policy.replace("Tokyo District Court", "Osaka District Court")
    assert changed != policy
    copies["policy"].write_text(changed, encoding="utf-8")

    assert run_check(copies) == 1
    err = capsys.readouterr().err
    assert "CHANGED section 'remarks'" in err
    assert "utter_faq/law_and_disputes" in err
    assert "--update-hashes" in err
    assert "CHANGED section 'use-of-cookies'" not in err

    assert run_check(copies, "--update-hashes") == 0
    assert "Accepted new text for: remarks" in capsys.readouterr().out
    assert run_check(copies) == 0
    assert "# When the policy changes" in copies["sections"].read_text(encoding="utf-8")


def test_reflowing_whitespace_is_not_a_change() -> None:
    assert text_hash("Some  text\nhere  ") == text_hash("Some text here")
    assert normalise(" a\n\n b\tc ") == "a b c"


def test_a_missing_start_line_is_a_clear_error(
    copies: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = copies["policy"].read_text(encoding="utf-8")
    copies["policy"].write_text(policy.replace("### Joint Use", "### Shared Use"), encoding="utf-8")

    assert run_check(copies) == 1
    assert "section 'joint-use': start line" in capsys.readouterr().err


def test_sections_out_of_order_are_rejected() -> None:
    sections = load_sections(SECTIONS)
    with pytest.raises(CoverageError):
        split_policy(POLICY.read_text(encoding="utf-8"), list(reversed(sections)))


def test_check_coverage_reports_each_problem() -> None:
    sections = load_sections(SECTIONS)
    texts = split_policy(POLICY.read_text(encoding="utf-8"), sections)
    report = check_coverage(sections, texts, answered_topics(DOMAIN) | {"extra_topic"})
    assert report.orphan_topics == ["extra_topic"]
    assert not report.unanswered and not report.changed
    assert not report.passed
