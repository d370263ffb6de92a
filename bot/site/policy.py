"""The privacy policy as the site shows it: safe HTML with one anchor per section.

The sections come from `data/policy/sections.yml` (when it exists, otherwise from the table in
docs/architecture.md) and the text is cut by `bot.policy_sections`, the same cut the FAQ
coverage check hashes. The page wraps each section's text in `<section id="<anchor>">`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from bot import policy_sections
from bot.policy_sections import PolicySection, split_policy

ANCHOR_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SAFE_LINK_SCHEMES = ("http", "https", "mailto")

# One error for the policy and its sections, wherever they are read.
PolicyError = policy_sections.PolicySectionsError


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


def load_sections(path: Path) -> tuple[PolicySection, ...]:
    """The sections in sections.yml if it exists, else the architecture table."""
    return policy_sections.load_sections(path) if path.exists() else ARCHITECTURE_SECTIONS


def _check_anchors(sections: Sequence[PolicySection]) -> None:
    seen: set[str] = set()
    for section in sections:
        if not ANCHOR_PATTERN.match(section.anchor):
            raise PolicyError(f"section anchor {section.anchor!r} is not lowercase-kebab-case")
        if section.anchor in seen:
            raise PolicyError(f"section anchor {section.anchor!r} appears twice")
        seen.add(section.anchor)


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
    policy = split_policy(text, sections)
    parts = [f'<div class="policy-preamble">{render_markdown(policy.preamble)}</div>']
    for section, section_text in policy.sections:
        parts.append(
            f'<section class="policy-section" id="{section.anchor}">\n'
            f"{render_markdown(section_text)}\n"
            '<p class="back-to-top"><a href="#contents">Back to contents</a></p>\n'
            "</section>"
        )
    return RenderedPolicy(
        html="\n".join(parts), sections=tuple(section for section, _ in policy.sections)
    )


def load_policy(policy_path: Path, sections_path: Path) -> RenderedPolicy:
    """Read and render the policy; fails with a clear PolicyError if the two files disagree."""
    if not policy_path.exists():
        raise PolicyError(f"the privacy policy is missing: {policy_path}")
    return render_policy(policy_path.read_text(encoding="utf-8"), load_sections(sections_path))
