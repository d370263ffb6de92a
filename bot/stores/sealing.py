"""Personal data in stored conversation events, encrypted: what is sealed and with which key.

An event as Rasa stores it is a JSON object. Before it is written, `EventSealer.seal` replaces

- the value of a `slot` event for a personal slot (bot.contract.PERSONAL_SLOTS),
- the text of every user message (`text`, `parse_data.text` and the entity values),
- the text and data of every bot message (a summary shown before a request is sent repeats
  the name and email),
- the metadata of every event except the model and response names (Rasa keeps the values a
  response was filled with there),
- the entity values of an `entities` event,

each with `enc:v1:<Fernet token>` of its JSON; `open` reverses it, and leaves anything not
sealed as it is (conversations stored before encryption still load). Every user message is
sealed, not only the answers that filled a slot: a customer may type an address anywhere, and
the rule needs no knowledge of which form was running. What stays readable is what the help
desk's purge and the tracker miner need: event types, intent and action names, confidences,
timestamps, the running form and the requested slot.

The key comes from TRACKER_ENCRYPTION_KEY (any secret of at least 43 characters, as from
`helpdesk gen-secrets`; a Fernet key is derived from it with HKDF). Several keys separated by
commas rotate: the first seals, all of them open. Outside HELPDESK_ENV=development it must be
set (bot/settings_env.py); in development a public default applies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet

from bot import settings_env as env_var
from bot.contract import PERSONAL_SLOTS
from bot.fernet_keys import fernet_for

KEY_VARIABLE = "TRACKER_ENCRYPTION_KEY"
DEVELOPMENT_KEY = "local-development-tracker-encryption-key-not-secret"
PREFIX = "enc:v1:"
PURPOSE = b"rasa tracker store events"  # the HKDF label of the key
# Event metadata that says nothing about the customer; any other key (Rasa puts the values a
# response was filled with into a bot message's metadata, a channel may add its own) is sealed.
READABLE_METADATA = frozenset({"model_id", "assistant_id", "utter_action"})


class UnreadableEvent(ValueError):
    """A sealed value that none of the keys opens (a wrong or missing key)."""


def _seal_value(fernet: MultiFernet, value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.startswith(PREFIX)):
        return value
    return PREFIX + fernet.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")


def _open_value(fernet: MultiFernet, value: Any) -> Any:
    if not (isinstance(value, str) and value.startswith(PREFIX)):
        return value
    try:
        return json.loads(fernet.decrypt(value[len(PREFIX) :].encode("ascii")))
    except InvalidToken:
        raise UnreadableEvent(
            f"a stored conversation event cannot be decrypted: is {KEY_VARIABLE} the key "
            "it was written with?"
        ) from None


class EventSealer:
    """Seals and opens the personal parts of Rasa events (dicts as `Event.as_dict()` gives)."""

    def __init__(self, secrets: list[str]) -> None:
        if not secrets:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([fernet_for(secret, PURPOSE) for secret in secrets])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EventSealer:
        """The keys in TRACKER_ENCRYPTION_KEY; SettingsError naming it if unusable."""
        env = env_var.environment(environ)
        raw = env_var.secret(env, KEY_VARIABLE, DEVELOPMENT_KEY)
        keys = [key.strip() for key in raw.split(",") if key.strip()]
        if not env_var.is_development(env):
            for key in keys:
                env_var.secret({KEY_VARIABLE: key}, KEY_VARIABLE, DEVELOPMENT_KEY)
        return cls(keys)

    def seal(self, event: dict[str, Any]) -> dict[str, Any]:
        return _transform(event, lambda value: _seal_value(self._fernet, value))

    def open(self, event: dict[str, Any]) -> dict[str, Any]:
        return _transform(event, lambda value: _open_value(self._fernet, value))


def _entities(entities: Any, change: Any) -> Any:
    if not isinstance(entities, list):
        return entities
    return [
        {**entity, "value": change(entity.get("value"))} if isinstance(entity, dict) else entity
        for entity in entities
    ]


def _metadata(metadata: Any, change: Any) -> Any:
    if not isinstance(metadata, dict):
        return metadata
    return {
        key: value if key in READABLE_METADATA else change(value) for key, value in metadata.items()
    }


def _transform(event: dict[str, Any], change: Any) -> dict[str, Any]:
    """A copy of `event` with `change` applied to each personal value (the input is kept)."""
    kind = event.get("event")
    result = dict(event)
    if "metadata" in event:
        result["metadata"] = _metadata(event["metadata"], change)
    if kind == "slot" and event.get("name") in PERSONAL_SLOTS:
        result["value"] = change(event.get("value"))
    elif kind == "user":
        result["text"] = change(event.get("text"))
        parse_data = event.get("parse_data")
        if isinstance(parse_data, dict):
            result["parse_data"] = {
                **parse_data,
                "text": change(parse_data.get("text")),
                "entities": _entities(parse_data.get("entities"), change),
            }
    elif kind == "bot":
        result["text"] = change(event.get("text"))
        result["data"] = change(event.get("data"))
    elif kind == "entities":
        result["entities"] = _entities(event.get("entities"), change)
    return result
