"""Mining the tracker store for messages the bot got wrong, on a SQLite store written by the
tracker store Rasa runs with (Rasa's own, encrypting customers' details)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.encrypted_tracker_store import EncryptedSQLTrackerStore
from scripts import mine_tracker


def _user(text: str, intent: str, confidence: float, timestamp: float) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": confidence},
        parse_data={"intent": {"name": intent, "confidence": confidence}, "text": text},
        timestamp=timestamp,
    )


def _action(name: str, timestamp: float) -> ActionExecuted:
    return ActionExecuted(name, timestamp=timestamp)


async def _store(path: Path, conversations: dict[str, list[Event]]) -> None:
    store = EncryptedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    try:
        for sender, events in conversations.items():
            await store.save(DialogueStateTracker.from_events(sender, events))
    finally:
        store.engine.dispose()


async def test_finds_low_confidence_fallbacks_and_out_of_scope_but_not_confident_answers(
    tmp_path: Path,
) -> None:
    db = tmp_path / "rasa-tracker.db"
    await _store(
        db,
        {
            "alice": [
                _user("do you sell my data", "faq", 0.97, 1.0),
                _action("utter_faq", 2.0),
                BotUttered("No, we do not...", timestamp=2.1),
                _user("what about my kid's account", "faq", 0.41, 3.0),
                _action("utter_faq", 4.0),
                _user("blorp zzz", "nlu_fallback", 0.3, 5.0),
                _action("action_suggest_topics", 6.0),
                _user("/request_erasure", "request_erasure", 1.0, 7.0),
            ],
            "bob": [
                _user("can I buy a watch here", "out_of_scope", 0.9, 8.0),
                _action("utter_out_of_scope", 9.0),
                _user("tell me how long you keep stuff", "goodbye", 0.8, 10.0),
                _action("action_default_fallback", 11.0),
                _user("blorp zzz", "nlu_fallback", 0.2, 12.0),
            ],
        },
    )

    found = mine_tracker.find_misunderstood(mine_tracker.read_events(str(db)), threshold=0.6)

    by_text = {message.text: message for message in found}
    assert list(by_text) == [
        "what about my kid's account",
        "blorp zzz",
        "can I buy a watch here",
        "tell me how long you keep stuff",
    ]
    assert by_text["what about my kid's account"].reasons == {"confidence 0.41 < 0.60"}
    assert by_text["blorp zzz"].count == 2
    assert "led to action_suggest_topics" in by_text["blorp zzz"].reasons
    assert by_text["tell me how long you keep stuff"].reasons == {"led to action_default_fallback"}


def test_draft_is_valid_nlu_yaml_grouped_under_the_guessed_intent() -> None:
    messages = [
        mine_tracker.Misunderstood("blorp", "nlu_fallback", 0.2, {"classified as nlu_fallback"}),
        mine_tracker.Misunderstood("kid's account?", "faq", 0.4, {"confidence 0.40 < 0.60"}, 3),
    ]

    draft = mine_tracker.nlu_draft(messages, "today")
    data: dict[str, Any] = yaml.safe_load(draft)

    assert draft.startswith("# DRAFT mined from the tracker store on today")
    assert data["nlu"] == [
        {"intent": "faq", "examples": "- kid's account?\n"},
        {"intent": "nlu_fallback", "examples": "- blorp\n"},
    ]
    assert "(seen 3x)" in draft


def test_empty_store_gives_an_empty_draft() -> None:
    assert yaml.safe_load(mine_tracker.nlu_draft([], "today"))["nlu"] == []


def test_plain_paths_become_sqlite_urls_and_urls_pass_through() -> None:
    assert mine_tracker.database_url("var/rasa-tracker.db") == "sqlite:///var/rasa-tracker.db"
    assert mine_tracker.database_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_cli_says_clearly_when_the_store_is_missing(tmp_path: Path, capsys: Any) -> None:
    code = mine_tracker.main(["--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "o.yml")])

    assert code == 2
    assert "no tracker store at" in capsys.readouterr().err


async def test_cli_writes_the_draft(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "t.db"
    await _store(db, {"c": [_user("hmm what", "greet", 0.2, 1.0)]})
    out = tmp_path / "mined.yml"

    assert mine_tracker.main(["--db", str(db), "--out", str(out)]) == 0

    assert "- hmm what" in out.read_text()
    assert "1 messages to review" in capsys.readouterr().out


async def test_the_draft_holds_no_personal_data_from_the_store(tmp_path: Path) -> None:
    """Form answers are left out, and names, emails, phone numbers and references given
    anywhere else are redacted before anything is written."""
    from rasa.shared.core.events import ActiveLoop, SlotSet

    db = tmp_path / "rasa-tracker.db"
    personal = [
        "Erin Example", "erin@example.com", "+81 90 1234 5678", "PR-7KQ2-M9XD",
        "my old camera account from 2019", "CM-20481234",
    ]  # fmt: skip
    await _store(
        db,
        {
            "erin": [
                _user("please delete my data", "request_erasure", 0.95, 1.0),
                ActiveLoop("privacy_request_form", timestamp=1.5),
                SlotSet("requested_slot", "requester_name", timestamp=1.6),
                _user("Erin Example", "inform", 0.3, 2.0),
                SlotSet("requester_name", "Erin Example", timestamp=2.1),
                SlotSet("requested_slot", "email", timestamp=2.2),
                _user("erin@example.com", "inform", 0.2, 3.0),
                SlotSet("email", "erin@example.com", timestamp=3.1),
                SlotSet("requested_slot", "details", timestamp=3.2),
                _user("my old camera account from 2019", "nlu_fallback", 0.2, 4.0),
                SlotSet("details", "my old camera account from 2019", timestamp=4.1),
                SlotSet("requested_slot", None, timestamp=4.2),
                ActiveLoop(None, timestamp=4.3),
                _user(
                    "hm, Erin Example here again, call +81 90 1234 5678 about PR-7KQ2-M9XD",
                    "faq",
                    0.3,
                    5.0,
                ),  # fmt: skip
                _user("write to ERIN@example.com, member CM-20481234", "nlu_fallback", 0.2, 6.0),
            ]
        },
    )
    out = tmp_path / "mined.yml"
    assert mine_tracker.main(["--db", str(db), "--out", str(out)]) == 0
    draft = out.read_text(encoding="utf-8")
    for value in personal:
        assert value.lower() not in draft.lower(), value
    assert "Erin" not in draft and "1234" not in draft
    assert "[redacted] here again, call [phone] about [reference]" in draft
    assert "write to [redacted], member [number]" in draft
