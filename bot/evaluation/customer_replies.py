"""Judge the reply a customer actually sees, for one held-out question (tests/heldout/).

A case says what kind of question it is and what a right reply must (and must not) contain; an
`Observed` turn is what the bot did with it: the texts and buttons it sent, the responses those
came from, and whether a request form started. `judge` returns one of three verdicts:

- right: the reply is what the case asks for;
- unsure: not right, but honest: the bot said it was unsure or that the policy doesn't say, and
  asserted nothing (for a question the policy answers this is a miss, but not a wrong answer);
- wrong: anything else, in particular a confident answer about something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

KINDS = ("covered", "not_covered", "request", "smalltalk")
REQUEST_FORM = "privacy_request_form"
STATUS_FORM = "request_status_form"
STATUS = "status"
HELP_DESK_PAYLOAD = "/request_inquiry"
# Responses that say the bot is unsure rather than assert an answer.
UNSURE_RESPONSES = frozenset({"utter_fallback_sorry", "utter_unsure_topics", "utter_default"})
_CITATION = re.compile(r"\[([^\]]+)\]\(/#[^)]*\)")
_POLICY_SILENT = re.compile(
    r"\b(?:doesn't|does not|don't|do not)\s+(?:say|cover|talk about|mention|state)\b", re.I
)


class Verdict(str, Enum):
    RIGHT = "right"
    UNSURE = "unsure"
    WRONG = "wrong"


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    text: str
    sections: tuple[str, ...] = ()
    expect_any: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    request_type: str | None = None
    expect: str | None = None

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Case:
        kind = str(data["kind"])
        if kind not in KINDS:
            raise ValueError(f"case {data.get('id')}: unknown kind {kind!r}")
        return Case(
            id=str(data["id"]),
            kind=kind,
            text=str(data["text"]),
            sections=tuple(str(s) for s in data.get("sections") or ()),
            expect_any=tuple(str(s).lower() for s in data.get("expect_any") or ()),
            must_not=tuple(str(s).lower() for s in data.get("must_not") or ()),
            request_type=data.get("request_type"),
            expect=data.get("expect"),
        )


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Case.from_dict(case) for case in data.get("cases") or []]


@dataclass(frozen=True)
class Observed:
    """What the bot did with one message."""

    texts: tuple[str, ...] = ()
    button_payloads: tuple[str, ...] = ()
    responses: tuple[str, ...] = ()  # the domain responses the texts came from, when known
    active_loop: str | None = None
    request_type: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def cited_sections(self) -> set[str]:
        return {title.strip().lower() for title in _CITATION.findall(self.text)}

    @property
    def is_unsure(self) -> bool:
        return bool(UNSURE_RESPONSES.intersection(self.responses))

    @property
    def says_policy_is_silent(self) -> bool:
        return bool(_POLICY_SILENT.search(self.text))

    @property
    def offers_help_desk(self) -> bool:
        return HELP_DESK_PAYLOAD in self.button_payloads

    @property
    def started_request(self) -> str | None:
        """The request the bot started: a request type, `status`, or None."""
        if self.active_loop == STATUS_FORM:
            return STATUS
        if self.active_loop == REQUEST_FORM:
            return self.request_type or "unknown"
        return None


@dataclass
class Judgement:
    case: Case
    observed: Observed
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)


def _contains_any(text: str, phrases: Sequence[str]) -> bool:
    return any(phrase in text for phrase in phrases)


def _cites_a_wanted_section(
    seen: Observed, wanted: Sequence[str], outline: Mapping[str, frozenset[str]]
) -> bool:
    """A citation counts when it names a wanted section or a part nested in one (the cookies
    label for "Request to Customers"): it points the customer at the same text, more precisely."""
    wanted_lower = {section.lower() for section in wanted}
    return any(
        cited in wanted_lower or outline.get(cited, frozenset()) & wanted_lower
        for cited in seen.cited_sections
    )


def _reasons_covered(
    case: Case, seen: Observed, text: str, outline: Mapping[str, frozenset[str]]
) -> list[str]:
    reasons = []
    if not _cites_a_wanted_section(seen, case.sections, outline):
        reasons.append(
            f"cites {sorted(seen.cited_sections) or 'no section'}, not {list(case.sections)}"
        )
    body = _CITATION.sub(" ", text)  # the words must be in the answer, not only in its citation
    if case.expect_any and not _contains_any(body, case.expect_any):
        reasons.append(f"says none of {list(case.expect_any)}")
    if seen.started_request:
        reasons.append(f"started a {seen.started_request} request")
    return reasons


def _reasons_not_covered(case: Case, seen: Observed) -> list[str]:
    reasons = []
    if not (seen.says_policy_is_silent or seen.is_unsure):
        reasons.append("does not say the policy is silent, nor that it is unsure")
    if not seen.offers_help_desk:
        reasons.append("offers no Help Desk button")
    if seen.started_request:
        reasons.append(f"started a {seen.started_request} request")
    return reasons


def _reasons_request(case: Case, seen: Observed) -> list[str]:
    wanted = case.request_type or "unknown"
    if seen.started_request == wanted:
        return []
    return [f"started {seen.started_request or 'no request'}, not {wanted}"]


def _reasons_smalltalk(case: Case, seen: Observed) -> list[str]:
    wanted = f"utter_{case.expect}"
    return [] if wanted in seen.responses else [f"sent {list(seen.responses)}, not {wanted}"]


def judge(
    case: Case, seen: Observed, outline: Mapping[str, frozenset[str]] | None = None
) -> Judgement:
    """The verdict on one reply. `outline` (bot.policy_sections.enclosing_headings of the policy)
    says which headings each cited one is nested in; without it only exact titles count."""
    text = seen.text.lower()
    if case.kind == "covered":
        reasons = _reasons_covered(case, seen, text, outline or {})
    elif case.kind == "not_covered":
        reasons = _reasons_not_covered(case, seen)
    elif case.kind == "request":
        reasons = _reasons_request(case, seen)
    else:
        reasons = _reasons_smalltalk(case, seen)
    invented = [phrase for phrase in case.must_not if phrase in text]
    if invented:
        reasons.append(f"says {invented}")
    if not reasons:
        return Judgement(case, seen, Verdict.RIGHT)
    honest = (
        not invented
        and not seen.started_request
        and (seen.is_unsure or (seen.says_policy_is_silent and seen.offers_help_desk))
    )
    return Judgement(case, seen, Verdict.UNSURE if honest else Verdict.WRONG, reasons)


@dataclass(frozen=True)
class KindScore:
    kind: str
    total: int
    right: int
    unsure: int
    wrong: int

    @property
    def score(self) -> float:
        return self.right / self.total if self.total else 0.0


def verdict_counts(judgements: Sequence[Judgement]) -> dict[Verdict, int]:
    return {v: sum(1 for j in judgements if j.verdict is v) for v in Verdict}


def score_by_kind(judgements: Sequence[Judgement]) -> dict[str, KindScore]:
    scores = {}
    for kind in KINDS:
        of_kind = [j for j in judgements if j.case.kind == kind]
        count = verdict_counts(of_kind)
        scores[kind] = KindScore(
            kind, len(of_kind), count[Verdict.RIGHT], count[Verdict.UNSURE], count[Verdict.WRONG]
        )
    return scores


def what_the_bot_did(seen: Observed) -> str:
    """A short, text-free description of a reply: the request it started, the sections it cited,
    or that it was unsure or said the policy is silent."""
    if seen.started_request:
        return f"started {seen.started_request}"
    if seen.is_unsure:
        return "unsure"
    if seen.says_policy_is_silent:
        return "policy silent"
    cited = sorted(seen.cited_sections)
    return f"cited {' + '.join(cited)}" if cited else "other reply"


def expected_label(case: Case) -> str:
    """What a case asks for, as a label to group scores by: its first section, its request type,
    its small-talk response, or `not covered`."""
    if case.kind == "covered":
        return case.sections[0] if case.sections else "(no section)"
    if case.kind == "request":
        return case.request_type or "unknown"
    if case.kind == "smalltalk":
        return case.expect or "(none)"
    return "not covered"


def scores_by_label_markdown(judgements: Sequence[Judgement]) -> str:
    """Scores per kind and expected label, and what the bot did instead: no question's text, so
    people choosing training examples can read it without learning the set's wording."""
    lines = [
        "# Scores by what each question asks for",
        "",
        "| kind | expected | cases | right | unsure | wrong | the wrong replies |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    groups: dict[tuple[str, str], list[Judgement]] = {}
    for judgement in judgements:
        key = (judgement.case.kind, expected_label(judgement.case))
        groups.setdefault(key, []).append(judgement)
    for (kind, label), of_label in sorted(
        groups.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1].lower())
    ):
        count = verdict_counts(of_label)
        instead: dict[str, int] = {}
        for judgement in of_label:
            if judgement.verdict is Verdict.WRONG:
                did = what_the_bot_did(judgement.observed)
                instead[did] = instead.get(did, 0) + 1
        wrong_replies = ", ".join(
            f"{did} ×{n}" for did, n in sorted(instead.items(), key=lambda i: (-i[1], i[0]))
        )
        lines.append(
            f"| {kind} | {label} | {len(of_label)} | {count[Verdict.RIGHT]} | "
            f"{count[Verdict.UNSURE]} | {count[Verdict.WRONG]} | {wrong_replies} |"
        )
    return "\n".join(lines) + "\n"


_RANK = {Verdict.WRONG: 0, Verdict.UNSURE: 1, Verdict.RIGHT: 2}


@dataclass(frozen=True)
class Change:
    """One case whose verdict moved since the last run."""

    judgement: Judgement
    before: Verdict

    @property
    def better(self) -> bool:
        return _RANK[self.judgement.verdict] > _RANK[self.before]


def verdicts_by_case(judgements: Sequence[Judgement]) -> dict[str, str]:
    """Each case's verdict by its id (no question text), kept to compare the next run with."""
    return {j.case.id: j.verdict.value for j in judgements}


def changes_since(previous: Mapping[str, str], judgements: Sequence[Judgement]) -> list[Change]:
    """The cases whose verdict differs from `previous` (ids to verdicts); new cases are left out."""
    changes = []
    for judgement in judgements:
        before = previous.get(judgement.case.id)
        if before is not None and before != judgement.verdict.value:
            changes.append(Change(judgement, Verdict(before)))
    return changes


def changes_markdown(changes: Sequence[Change]) -> str:
    """Better and worse since the last run, by case id, label and what the bot did now: no
    question text, like the per-label table."""
    better = [c for c in changes if c.better]
    worse = [c for c in changes if not c.better]
    lines = [
        "# Since the last run on these cases",
        "",
        f"{len(better)} better, {len(worse)} worse.",
        "",
        "| case | kind | expected | before | now | what the bot did now |",
        "|---|---|---|---|---|---|",
    ]
    for change in worse + better:
        judgement = change.judgement
        lines.append(
            f"| {judgement.case.id} | {judgement.case.kind} | {expected_label(judgement.case)} | "
            f"{change.before.value} | {judgement.verdict.value} | "
            f"{what_the_bot_did(judgement.observed)} |"
        )
    return "\n".join(lines) + "\n"
