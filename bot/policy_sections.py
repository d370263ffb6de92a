"""The privacy policy's sections: data/policy/sections.yml read, and the policy cut, one way.

The site (bot/site/policy.py), the coverage check (scripts/policy_coverage.py), the held-out
evaluation (scripts/eval_heldout.py) and the TF-IDF baseline (scripts/baselines.py) all use
this module, so each sees the same text under each section: what the site shows under an
anchor is what the coverage check hashes and what the baseline retrieves from.

A section starts at its marker line (a heading, or `_*Use of cookies_`) and runs to the next
section's marker. A heading left alone at the end of a section (like "Handling of Personal
Information on Websites" just before "Request to Customers") introduces the next section, so
it belongs to that one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ID_KEYS = ("id", "anchor")
START_KEYS = ("starts_at", "marker", "start", "heading")


class PolicySectionsError(ValueError):
    """The sections file or the policy text cannot be read, or they do not fit together."""


@dataclass(frozen=True)
class PolicySection:
    id: str  # the anchor of the section on the site
    title: str
    starts_at: str  # the line of the policy where the section begins
    # What sections.yml records about a section, not part of which section it is:
    sha256: str = field(default="", compare=False)  # of the reviewed text (coverage check)
    topics: tuple[str, ...] = field(default=(), compare=False)  # FAQ answers that cover it

    @property
    def anchor(self) -> str:
        return self.id


@dataclass(frozen=True)
class PolicyParts:
    """The policy cut into its sections, in the order of the text."""

    preamble: str
    sections: tuple[tuple[PolicySection, str], ...]

    def texts(self) -> dict[str, str]:
        """Each section's text by id."""
        return {section.id: text for section, text in self.sections}


def _entries(document: Any, source: str) -> list[Any]:
    entries = document.get("sections") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise PolicySectionsError(f"{source} does not list any sections")
    return entries


def _section(entry: Any, position: int, source: str) -> PolicySection:
    if not isinstance(entry, dict):
        raise PolicySectionsError(f"{source} entry {position} is not a mapping")
    values = {
        "id": next((str(entry[key]) for key in ID_KEYS if entry.get(key)), ""),
        "title": str(entry.get("title") or ""),
        "marker": next((str(entry[key]) for key in START_KEYS if entry.get(key)), ""),
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise PolicySectionsError(f"{source} entry {position} lacks {', '.join(missing)}")
    return PolicySection(
        id=values["id"],
        title=values["title"],
        starts_at=values["marker"],
        sha256=str(entry.get("sha256") or ""),
        topics=tuple(str(topic) for topic in entry.get("topics") or ()),
    )


def parse_sections(document: str, source: str = "sections.yml") -> tuple[PolicySection, ...]:
    """The sections listed in a sections.yml document (a list, or a mapping with `sections:`)."""
    try:
        entries = _entries(yaml.safe_load(document), source)
    except yaml.YAMLError as error:
        raise PolicySectionsError(f"{source} is not valid YAML: {error}") from error
    return tuple(_section(entry, number, source) for number, entry in enumerate(entries, 1))


def load_sections(path: Path) -> tuple[PolicySection, ...]:
    if not path.exists():
        raise PolicySectionsError(f"the list of policy sections is missing: {path}")
    return parse_sections(path.read_text(encoding="utf-8"), source=str(path))


def topic_sections(document: str) -> dict[str, str]:
    """FAQ topic -> id of the policy section it answers (only ids and topics are read)."""
    mapping: dict[str, str] = {}
    for entry in (yaml.safe_load(document) or {}).get("sections") or []:
        for topic in entry.get("topics") or []:
            mapping.setdefault(str(topic), str(entry["id"]))
    return mapping


def _locate(lines: Sequence[str], sections: Iterable[PolicySection]) -> list[tuple[int, Any]]:
    located = []
    for section in sections:
        marker = section.starts_at.strip()
        found = [number for number, line in enumerate(lines) if line.strip() == marker]
        if len(found) != 1:
            where = "is not in the policy" if not found else f"appears {len(found)} times"
            raise PolicySectionsError(f"section {section.id!r}: start line {marker!r} {where}")
        located.append((found[0], section))
    return sorted(located, key=lambda pair: pair[0])


def _is_heading(line: str) -> bool:
    return line.lstrip().startswith("#")


def split_policy(text: str, sections: Sequence[PolicySection]) -> PolicyParts:
    """Cut the policy text at each section's start line (sections in any order)."""
    lines = text.splitlines()
    located = _locate(lines, sections)
    starts = [start for start, _ in located] + [len(lines)]
    bodies = [lines[start : starts[i + 1]] for i, (start, _) in enumerate(located)]
    for body, following in zip(bodies, bodies[1:]):
        moved: list[str] = []
        while body and not body[-1].strip():
            body.pop()
        while body and _is_heading(body[-1]):
            moved.insert(0, body.pop())
            while body and not body[-1].strip():
                body.pop()
        following[:0] = [*moved, ""] if moved else []
    return PolicyParts(
        preamble="\n".join(lines[: starts[0]]),
        sections=tuple((section, "\n".join(body)) for (_, section), body in zip(located, bodies)),
    )


def normalise(text: str) -> str:
    """Section text with whitespace collapsed, so reflowing lines changes no hash."""
    return re.sub(r"\s+", " ", text).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


DOCUMENT_TITLE_LEVEL = 2  # `#` and `##`: the page's and the policy's titles
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ITALIC_LABEL = re.compile(r"^_\*?(.+?)\*?_$")  # `_*Use of cookies_`: a label inside a heading


def enclosing_headings(text: str) -> dict[str, frozenset[str]]:
    """Each heading of the policy (and each italic label such as "Use of cookies", a level below
    the heading it sits under), lowercased -> the headings it is nested in, lowercased.

    "use of cookies" -> {"request to customers", "handling of personal information on websites"}:
    a citation of the cookies label points inside each of those. The document's own titles (its
    `#` and `##` headings) hold every section and are left out: they are not sections."""
    outline: dict[str, frozenset[str]] = {}
    open_headings: list[tuple[int, str]] = []  # (level, title), outermost first
    for raw in text.splitlines():
        line = raw.strip()
        heading = _MARKDOWN_HEADING.match(line)
        label = None if heading else _ITALIC_LABEL.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
        elif label:
            level, title = (open_headings[-1][0] + 1 if open_headings else 1), label.group(1)
        else:
            continue
        while open_headings and open_headings[-1][0] >= level:
            open_headings.pop()
        title = normalise(title).lower()
        enclosing = {t for lvl, t in open_headings if lvl > DOCUMENT_TITLE_LEVEL}
        outline[title] = outline.get(title, frozenset()) | enclosing
        open_headings.append((level, title))
    return outline
