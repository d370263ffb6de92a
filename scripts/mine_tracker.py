"""Find real customer messages the bot got wrong, as a draft of NLU training data for review.

Reads Rasa's SQL tracker store (table `events`; SQLite `var/rasa-tracker.db` by default, or any
SQLAlchemy URL such as `postgresql://postgres@127.0.0.1:5432/rasa`), opening what the store
encrypted with TRACKER_ENCRYPTION_KEY (bot/stores/sealing.py), and picks the user messages

- whose top intent had a confidence below --threshold, or
- that were classified as `nlu_fallback` or `out_of_scope`, or
- after which the bot ran a fallback action (`action_default_fallback`, `action_suggest_topics`).

They are written, grouped under the intent the bot guessed, to a YAML NLU file (default
reports/mined-nlu.yml), with personal data taken out first: answers typed while a form asked for
something (names, emails, details) are left out altogether, the values stored in personal slots
are replaced wherever else they appear, and email addresses, phone numbers, request references
and other long numbers become [email], [phone], [reference] and [number].
It is a draft: a trainer moves each message under the right intent and
then into data/nlu/ (training) or tests/nlu/ (held-out test). Button payloads are skipped.

    python -m scripts.mine_tracker [--db var/rasa-tracker.db | --db postgresql://...]
                                   [--threshold 0.6] [--since 2026-11-01]
                                   [--out reports/mined-nlu.yml]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

# PERSONAL_SLOTS: the customer's own details, never written out wherever they appear.
from bot.contract import PERSONAL_SLOTS, REFERENCE_IN_TEXT
from bot.settings_env import SettingsError
from bot.stores.sealing import EventSealer, UnreadableEvent

DEFAULT_DB = "var/rasa-tracker.db"
DEFAULT_THRESHOLD = 0.6
SUSPECT_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
FALLBACK_ACTIONS = frozenset(
    {
        "action_default_fallback",
        "action_suggest_topics",
        "action_two_stage_fallback",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "utter_default",
        "utter_out_of_scope",
    }
)


EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
PHONE_IN_TEXT = re.compile(r"(?<![\w])\+?\d[\d\s().\-]{6,}\d(?![\w])")
LONG_NUMBER = re.compile(r"\b\d{5,}\b")
MEMBERSHIP_ID = re.compile(r"\b(?=[A-Z0-9-]*\d)[A-Z0-9]{2,}-?[A-Z0-9]*\d[A-Z0-9-]{3,}\b")


def redact(text: str, known_values: Iterable[str] = ()) -> str:
    """`text` without email addresses, phone numbers, references, long numbers or identifiers,
    nor any of `known_values` (what the customer gave the forms in this conversation)."""
    for value in sorted({v for v in known_values if len(v.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(value.strip()), "[redacted]", text, flags=re.IGNORECASE)
    text = EMAIL_IN_TEXT.sub("[email]", text)
    text = REFERENCE_IN_TEXT.sub("[reference]", text)
    text = MEMBERSHIP_ID.sub("[number]", text)
    text = PHONE_IN_TEXT.sub("[phone]", text)
    return LONG_NUMBER.sub("[number]", text)


@dataclass(frozen=True)
class EventRow:
    """One row of the `events` table, with its JSON `data` still as text."""

    sender_id: str
    type_name: str
    timestamp: float
    action_name: str | None
    data: str


@dataclass
class Misunderstood:
    text: str
    intent: str | None
    confidence: float | None
    reasons: set[str] = field(default_factory=set)
    count: int = 1
    first_seen: float = 0.0


def database_url(db: str) -> str:
    """A SQLAlchemy URL: URLs pass through, a plain path means a SQLite file."""
    return db if "://" in db else f"sqlite:///{db}"


def read_events(
    db: str, since: float | None = None, sealer: EventSealer | None = None
) -> list[EventRow]:
    """The events of every conversation in the store, in the order they happened, with what
    the tracker store encrypted opened (the key from TRACKER_ENCRYPTION_KEY unless given)."""
    import sqlalchemy as sa

    sealer = sealer or EventSealer.from_env()

    url = database_url(db)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        raise FileNotFoundError(f"no tracker store at {url[len('sqlite:///') :]}")
    engine = sa.create_engine(url)
    query = (
        "SELECT sender_id, type_name, timestamp, action_name, data FROM events"
        + (" WHERE timestamp >= :since" if since is not None else "")
        + " ORDER BY sender_id, timestamp, id"
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(query), {"since": since} if since else {})
            return [
                EventRow(
                    sender_id=str(row.sender_id),
                    type_name=str(row.type_name),
                    timestamp=float(row.timestamp or 0.0),
                    action_name=row.action_name,
                    data=json.dumps(sealer.open(json.loads(row.data or "{}"))),
                )
                for row in rows
            ]
    finally:
        engine.dispose()


def _user_message(row: EventRow) -> tuple[str, str | None, float | None]:
    data = json.loads(row.data)
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    text = " ".join(str(data.get("text") or parse.get("text") or "").split())
    confidence = intent.get("confidence")
    return text, intent.get("name"), float(confidence) if confidence is not None else None


def find_misunderstood(
    rows: Iterable[EventRow],
    threshold: float = DEFAULT_THRESHOLD,
    fallback_actions: frozenset[str] = FALLBACK_ACTIONS,
) -> list[Misunderstood]:
    """User messages the bot probably got wrong, one entry per distinct text, first seen first.

    Personal data is redacted (see `redact`), and a message typed while a form was asking for
    something is a form answer: it is never kept."""
    found: dict[str, Misunderstood] = {}
    current: Misunderstood | None = None
    current_sender: str | None = None
    by_sender = _group(rows)
    for row in (row for group in by_sender.values() for row in group):
        if row.sender_id != current_sender:
            current, current_sender = None, row.sender_id
            personal = _personal_values(by_sender[row.sender_id])
            asking: str | None = None
        if row.type_name == "slot":
            slot = json.loads(row.data)
            if slot.get("name") == "requested_slot":
                asking = slot.get("value")
        elif row.type_name == "active_loop" and not json.loads(row.data).get("name"):
            asking = None
        if row.type_name == "user":
            text, intent, confidence = _user_message(row)
            if not text or text.startswith("/") or asking:
                current = None
                continue
            text = redact(text, personal)
            current = Misunderstood(text, intent, confidence, first_seen=row.timestamp)
            if confidence is not None and confidence < threshold:
                current.reasons.add(f"confidence {confidence:.2f} < {threshold:.2f}")
            if intent in SUSPECT_INTENTS:
                current.reasons.add(f"classified as {intent}")
            _remember(found, current)
        elif row.type_name == "action" and current is not None:
            if row.action_name in fallback_actions:
                current.reasons.add(f"led to {row.action_name}")
    flagged = [entry for entry in found.values() if entry.reasons]
    return sorted(flagged, key=lambda entry: entry.first_seen)


def _group(rows: Iterable[EventRow]) -> dict[str, list[EventRow]]:
    groups: dict[str, list[EventRow]] = {}
    for row in rows:
        groups.setdefault(row.sender_id, []).append(row)
    return groups


def _personal_values(rows: Iterable[EventRow]) -> set[str]:
    """What the customer gave the personal slots anywhere in this conversation."""
    values: set[str] = set()
    for row in rows:
        if row.type_name == "slot":
            slot = json.loads(row.data)
            if slot.get("name") in PERSONAL_SLOTS and isinstance(slot.get("value"), str):
                values.add(slot["value"])
    return values


def _remember(found: dict[str, Misunderstood], message: Misunderstood) -> None:
    """Merge repeats of the same text (case-insensitive) into one entry with a count."""
    key = message.text.casefold()
    known = found.get(key)
    if known is None:
        found[key] = message
    elif known is not message:
        known.reasons |= message.reasons
        known.count += 1
        # later reasons found for this message land in the merged entry
        message.reasons = known.reasons


def nlu_draft(messages: Sequence[Misunderstood], generated: str) -> str:
    """A Rasa NLU YAML draft: messages grouped under the bot's guess, with why each was picked."""
    lines = [
        f"# DRAFT mined from the tracker store on {generated} by scripts/mine_tracker.py.",
        "# Each message is filed under the intent the bot GUESSED: move it under the right intent",
        "# (or delete it), then into data/nlu/ (training) or tests/nlu/ (held-out test).",
        'version: "3.1"',
        "",
        "nlu:",
    ]
    by_intent: dict[str, list[Misunderstood]] = {}
    for message in messages:
        by_intent.setdefault(message.intent or "unknown", []).append(message)
    for intent in sorted(by_intent):
        group = by_intent[intent]
        for message in group:
            seen = f" (seen {message.count}x)" if message.count > 1 else ""
            lines.append(f"  # {message.text!r}: {', '.join(sorted(message.reasons))}{seen}")
        lines.append(f"  - intent: {intent}")
        lines.append("    examples: |")
        lines += [f"      - {message.text}" for message in group]
        lines.append("")
    if not messages:
        lines[-1] = "nlu: []"
    return "\n".join(lines).rstrip() + "\n"


def reason_counts(messages: Sequence[Misunderstood]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for message in messages:
        for reason in message.reasons:
            counts[reason.split(" ")[0] if reason.startswith("confidence") else reason] += 1
    return counts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite file or SQLAlchemy URL")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--since", help="only messages from this date on (YYYY-MM-DD, UTC)")
    parser.add_argument("--out", default="reports/mined-nlu.yml")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not 0 <= args.threshold <= 1:
        print("mine_tracker: --threshold must be between 0 and 1", file=sys.stderr)
        return 2
    since = None
    if args.since:
        try:
            day = dt.datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            print("mine_tracker: --since must look like 2026-11-25", file=sys.stderr)
            return 2
        since = day.timestamp()
    try:
        rows = read_events(args.db, since)
    except (FileNotFoundError, SettingsError, UnreadableEvent) as error:
        print(f"mine_tracker: {error}", file=sys.stderr)
        return 2
    messages = find_misunderstood(rows, args.threshold)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.write_text(nlu_draft(messages, generated), encoding="utf-8")
    summary = ", ".join(f"{reason}: {n}" for reason, n in reason_counts(messages).most_common())
    print(f"mine_tracker: {len(messages)} messages to review -> {out} ({summary or 'none'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
