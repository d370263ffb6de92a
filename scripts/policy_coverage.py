"""Check that every section of the privacy policy is answered, and flag answers to review.

`data/policy/sections.yml` lists the policy's sections in order: an id (the anchor on the site),
a title, the line where the section starts in the policy text, the sha256 of the section's
normalised text, and the FAQ topics (`utter_faq/<topic>`) that answer it.

The check fails (exit status 1) when
- a section's start line is missing from the policy, or the sections are out of order;
- a section lists no topic, or lists a topic with no `utter_faq/<topic>` response in the domain;
- an FAQ answer in the domain belongs to no section;
- a section's text changed since its hash was recorded: its answers need review. After reviewing
  them, accept the new text with `--update-hashes`.

    python -m scripts.policy_coverage [--policy PATH] [--sections PATH] [--domain FILE]
                                      [--update-hashes]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml

from bot import policy_sections
from bot.policy_sections import PolicySection, load_sections, text_hash

DEFAULT_POLICY = Path("data/policy/privacy-policy.md")
DEFAULT_SECTIONS = Path("data/policy/sections.yml")
DEFAULT_DOMAIN = Path("domain.yml")
FAQ_RESPONSE_PREFIX = "utter_faq/"

# The sections file or the policy cannot be read as expected.
CoverageError = policy_sections.PolicySectionsError


@dataclass
class CoverageReport:
    unanswered: list[str] = field(default_factory=list)
    orphan_topics: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.unanswered or self.orphan_topics or self.changed)

    def describe(self) -> str:
        lines: list[str] = []
        for problem in self.unanswered:
            lines.append(f"UNANSWERED {problem}")
        for topic in self.orphan_topics:
            lines.append(
                f"NO SECTION utter_faq/{topic} answers no section: "
                "list it under its section in the sections file"
            )
        for section_id, topics in self.changed.items():
            lines.append(
                f"CHANGED section '{section_id}': review the answers "
                + ", ".join(f"utter_faq/{topic}" for topic in topics)
            )
        if self.changed:
            lines.append(
                "After reviewing, accept the new policy text with: "
                "python -m scripts.policy_coverage --update-hashes"
            )
        if not lines:
            lines.append("Policy coverage: every section is answered and unchanged.")
        return "\n".join(lines)


def split_policy(policy_text: str, sections: Sequence[PolicySection]) -> dict[str, str]:
    """Each section's text, as the site shows it; the sections file must follow the text."""
    texts = policy_sections.split_policy(policy_text, sections).texts()
    if list(texts) != [section.id for section in sections]:
        raise CoverageError(
            "the sections are out of order: list them in the order of the policy text, "
            f"which is {', '.join(texts)}"
        )
    return texts


def answered_topics(domain_path: Path) -> set[str]:
    """Topics with an `utter_faq/<topic>` response in the domain."""
    data: Any = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    responses = data.get("responses") if isinstance(data, dict) else None
    return {
        str(name)[len(FAQ_RESPONSE_PREFIX) :]
        for name in responses or {}
        if str(name).startswith(FAQ_RESPONSE_PREFIX)
    }


def check_coverage(
    sections: Sequence[PolicySection], section_texts: dict[str, str], topics: set[str]
) -> CoverageReport:
    report = CoverageReport()
    listed: set[str] = set()
    for section in sections:
        listed.update(section.topics)
        if not section.topics:
            report.unanswered.append(f"section '{section.id}' ({section.title}) lists no topic")
        for topic in section.topics:
            if topic not in topics:
                report.unanswered.append(
                    f"section '{section.id}' lists topic '{topic}' but the domain has no "
                    f"{FAQ_RESPONSE_PREFIX}{topic} response"
                )
        if text_hash(section_texts[section.id]) != section.sha256:
            report.changed[section.id] = list(section.topics)
    report.orphan_topics = sorted(topics - listed)
    return report


def update_hashes(sections_path: Path, section_texts: dict[str, str]) -> list[str]:
    """Rewrite each section's `sha256:` line in place (comments kept); return the changed ids."""
    lines = sections_path.read_text(encoding="utf-8").splitlines(keepends=True)
    current: str | None = None
    changed: list[str] = []
    for index, line in enumerate(lines):
        id_match = re.match(r"^\s*-?\s*id:\s*['\"]?([\w-]+)['\"]?\s*$", line)
        if id_match:
            current = id_match.group(1)
            continue
        hash_match = re.match(r"^(\s*sha256:\s*)(.*?)\s*$", line)
        if hash_match and current in section_texts:
            new_hash = text_hash(section_texts[current])
            if hash_match.group(2).strip("'\"") != new_hash:
                changed.append(current)
            lines[index] = f'{hash_match.group(1)}"{new_hash}"\n'
    sections_path.write_text("".join(lines), encoding="utf-8")
    return changed


def run(policy: Path, sections_path: Path, domain: Path, accept_changes: bool) -> int:
    try:
        sections = load_sections(sections_path)
        texts = split_policy(policy.read_text(encoding="utf-8"), sections)
    except (CoverageError, OSError, yaml.YAMLError) as error:
        print(f"Policy coverage: {error}", file=sys.stderr)
        return 1
    if accept_changes:
        accepted = update_hashes(sections_path, texts)
        print(f"Accepted new text for: {', '.join(accepted) or 'nothing (no section changed)'}")
        sections = load_sections(sections_path)
    report = check_coverage(sections, texts, answered_topics(domain))
    print(report.describe(), file=sys.stdout if report.passed else sys.stderr)
    return 0 if report.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY)
    parser.add_argument("--sections", type=Path, default=DEFAULT_SECTIONS)
    parser.add_argument("--domain", type=Path, default=DEFAULT_DOMAIN)
    parser.add_argument(
        "--update-hashes",
        action="store_true",
        help="record the policy's current section texts as reviewed",
    )
    args = parser.parse_args(argv)
    return run(args.policy, args.sections, args.domain, args.update_hashes)


if __name__ == "__main__":
    sys.exit(main())
