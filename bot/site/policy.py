"""The privacy policy as the site shows it: safe HTML with one anchor per section.

The sections come from `data/policy/sections.yml` (shared with the FAQ coverage check) when it
exists, otherwise from the table in docs/architecture.md. Each section starts at a marker line
of the policy text (a heading, or `_*Use of cookies_`), and the page wraps everything from that
line to the next section's marker in `<section id="<anchor>">`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import markdown
import yaml
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ANCHOR_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MARKER_KEYS = ("marker", "starts_at", "start", "heading")
SAFE_LINK_SCHEMES = ("http", "https", "mailto")


class PolicyError(ValueError):
    """The policy text and its list of sections do not fit together."""


@dataclass(frozen=True)
class PolicySection:
    anchor: str
    title: str
    marker: str


@dataclass(frozen=True)
class RenderedPolicy:
    html: str
    sections: tuple[PolicySection, ...]  # in the order they appear in the policy


# The table "Policy sections and anchors" of docs/architecture.md, used until sections.yml exists.
ARCHITECTURE_SECTIONS: tuple[PolicySection, ...] = (
    PolicySection(
        "protection-policy",
        "Personal Information Protection Policy",
        "### Personal Information Protection Policy",
    ),
    PolicySection("applicable-scope", "Applicable Scope", "### Applicable Scope"),
    PolicySection(
        "provision-of-personal-information",
        "Provision of Personal Information",
        "### Provision of Personal Information",
    ),
    PolicySection(
        "intended-use",
        "Intended Use of Personal Information",
        "### Intended Use of Personal Information",
    ),
    PolicySection(
        "non-provision-to-third-parties",
        "Non-Provision of Personal Information to Third Parties",
        "### Non-Provision of Personal Information to Third Parties",
    ),
    PolicySection(
        "joint-use", "Joint Use of Personal Information", "### Joint Use of Personal Information"
    ),
    PolicySection(
        "request-to-customers",
        "Handling of Personal Information on Websites: Request to Customers",
        "#### Request to Customers",
    ),
    PolicySection("use-of-cookies", "Use of cookies", "_*Use of cookies_"),
    PolicySection(
        "modifying-registered-data",
        "Modifying Registered Data and Termination of Use",
        "#### Modifying Registered Data and Termination of Use",
    ),
    PolicySection("remarks", "Remarks", "### Remarks"),
)


def _section_from_entry(entry: Any, position: int) -> PolicySection:
    if not isinstance(entry, dict):
        raise PolicyError(f"sections.yml entry {position} is not a mapping")
    anchor = str(entry.get("id") or entry.get("anchor") or "")
    title = str(entry.get("title") or "")
    marker = next((str(entry[key]) for key in MARKER_KEYS if entry.get(key)), "")
    missing = [
        name for name, value in (("id", anchor), ("title", title), ("marker", marker)) if not value
    ]
    if missing:
        raise PolicyError(f"sections.yml entry {position} lacks {', '.join(missing)}")
    return PolicySection(anchor=anchor, title=title, marker=marker)


def load_sections(path: Path) -> tuple[PolicySection, ...]:
    """Read sections.yml if it exists (a list, or a mapping with `sections:`), else the defaults."""
    if not path.exists():
        return ARCHITECTURE_SECTIONS
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("sections") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise PolicyError(f"{path} does not list any sections")
    return tuple(_section_from_entry(entry, number) for number, entry in enumerate(entries, 1))


def _check_anchors(sections: Sequence[PolicySection]) -> None:
    seen: set[str] = set()
    for section in sections:
        if not ANCHOR_PATTERN.match(section.anchor):
            raise PolicyError(f"section anchor {section.anchor!r} is not lowercase-kebab-case")
        if section.anchor in seen:
            raise PolicyError(f"section anchor {section.anchor!r} appears twice")
        seen.add(section.anchor)


def _locate(
    lines: Sequence[str], sections: Iterable[PolicySection]
) -> list[tuple[int, PolicySection]]:
    located = []
    for section in sections:
        marker = section.marker.strip()
        found = [number for number, line in enumerate(lines) if line.strip() == marker]
        if not found:
            raise PolicyError(f"section {section.anchor!r}: marker {marker!r} is not in the policy")
        if len(found) > 1:
            raise PolicyError(
                f"section {section.anchor!r}: marker {marker!r} appears {len(found)} times"
            )
        located.append((found[0], section))
    return sorted(located, key=lambda pair: pair[0])


def _is_heading(line: str) -> bool:
    return line.lstrip().startswith("#")


def _split(
    text: str, sections: Sequence[PolicySection]
) -> tuple[list[str], list[tuple[PolicySection, list[str]]]]:
    """Cut the text at each section's marker line.

    A heading left alone at the end of a section (like "Handling of Personal Information on
    Websites" just before "Request to Customers") introduces the next section, so it moves there.
    """
    lines = text.splitlines()
    located = _locate(lines, sections)
    starts = [start for start, _ in located] + [len(lines)]
    preamble = lines[: starts[0]]
    chunks = [(section, lines[start : starts[i + 1]]) for i, (start, section) in enumerate(located)]
    for current, following in zip(chunks, chunks[1:]):
        body = current[1]
        moved: list[str] = []
        while body and not body[-1].strip():
            body.pop()
        while body and _is_heading(body[-1]):
            moved.insert(0, body.pop())
            while body and not body[-1].strip():
                body.pop()
        following[1][:0] = [*moved, ""] if moved else []
    return preamble, chunks


def _is_safe_href(href: str) -> bool:
    if any(char in href for char in "\x02\x03\\") or any(ord(char) < 32 for char in href):
        return False
    if href.startswith("#") or (href.startswith("/") and not href.startswith("//")):
        return True
    return urlsplit(href).scheme.lower() in SAFE_LINK_SCHEMES


class _SafeTreeprocessor(Treeprocessor):
    """Neutralise unsafe links, drop empty links and images, keep one h1 for the page."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "a":
                    self._clean_link(parent, child)
                elif child.tag == "img":
                    self._remove_keeping_tail(parent, child, replacement=child.get("alt", ""))
                elif re.fullmatch(r"h[1-5]", child.tag):
                    child.tag = f"h{int(child.tag[1]) + 1}"
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "p" and not (child.text or "").strip() and len(child) == 0:
                    self._remove_keeping_tail(parent, child, replacement="")

    def _clean_link(self, parent: etree.Element, link: etree.Element) -> None:
        href = (link.get("href") or "").strip()
        has_content = bool((link.text or "").strip()) or len(link) > 0
        if not has_content:
            self._remove_keeping_tail(parent, link, replacement="")
        elif not _is_safe_href(href):
            link.tag = "span"
            link.attrib.clear()
        elif urlsplit(href).scheme:
            link.set("rel", "noopener noreferrer")
            link.set("class", "external")

    @staticmethod
    def _remove_keeping_tail(parent: etree.Element, child: etree.Element, replacement: str) -> None:
        kept = replacement + (child.tail or "")
        index = list(parent).index(child)
        if index == 0:
            parent.text = (parent.text or "") + kept
        else:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + kept
        parent.remove(child)


class SafeMarkdownExtension(Extension):
    """Markdown without raw HTML: tags in the text are shown as text, never interpreted."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeTreeprocessor(md), "site_safe", 15)


def render_markdown(text: str) -> str:
    return markdown.markdown(text, extensions=[SafeMarkdownExtension()], output_format="html")


def render_policy(text: str, sections: Sequence[PolicySection]) -> RenderedPolicy:
    _check_anchors(sections)
    preamble, chunks = _split(text, sections)
    parts = [f'<div class="policy-preamble">{render_markdown(chr(10).join(preamble))}</div>']
    for section, lines in chunks:
        parts.append(
            f'<section class="policy-section" id="{section.anchor}">\n'
            f"{render_markdown(chr(10).join(lines))}\n"
            '<p class="back-to-top"><a href="#contents">Back to contents</a></p>\n'
            "</section>"
        )
    return RenderedPolicy(html="\n".join(parts), sections=tuple(section for section, _ in chunks))


def load_policy(policy_path: Path, sections_path: Path) -> RenderedPolicy:
    """Read and render the policy; fails with a clear PolicyError if the two files disagree."""
    if not policy_path.exists():
        raise PolicyError(f"the privacy policy is missing: {policy_path}")
    return render_policy(policy_path.read_text(encoding="utf-8"), load_sections(sections_path))
