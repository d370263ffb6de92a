"""Every slot that keeps what a customer typed is on the list the tracker store encrypts."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.contract import PERSONAL_SLOTS

ROOT = Path(__file__).resolve().parents[3]
# Typed by the customer but about the conversation, not the person.
NOT_PERSONAL = {"confirmation"}


def test_every_slot_filled_from_what_the_customer_typed_is_personal() -> None:
    slots = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["slots"]
    typed = {
        name
        for name, slot in slots.items()
        if any(m.get("type") in ("from_text", "from_entity") for m in slot.get("mappings", []))
    }
    assert typed - NOT_PERSONAL <= PERSONAL_SLOTS, typed - NOT_PERSONAL - PERSONAL_SLOTS
