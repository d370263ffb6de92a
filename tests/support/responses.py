"""What the customer would read, from the responses an action sent by name.

Actions send domain responses (`utter_message(response="utter_x", value=...)`); these helpers
fill them in from domain.yml the way Rasa does, so tests can check the sentences customers see.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from rasa.core.nlg.interpolator import interpolate
from rasa.shared.core.domain import Domain

DOMAIN_PATH = Path(__file__).resolve().parents[2] / "domain.yml"


@lru_cache(maxsize=1)
def domain_responses() -> dict[str, list[dict[str, Any]]]:
    return Domain.load(str(DOMAIN_PATH)).responses


def response(name: str, **values: Any) -> dict[str, Any]:
    """The first variant of response `name` without conditions, with `values` filled in."""
    variants = [v for v in domain_responses()[name] if not v.get("condition")]
    filled = interpolate(dict(variants[0]), {k: str(v) for k, v in values.items()})
    return {"text": filled.get("text"), "buttons": list(filled.get("buttons") or [])}


def response_text(name: str, **values: Any) -> str:
    return str(response(name, **values)["text"])


def rendered(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dispatcher messages as customers see them: text and buttons."""
    shown = []
    for message in messages:
        if message.get("response"):
            skip = ("response", "template", "buttons", "text")
            values = {k: v for k, v in message.items() if k not in skip and v not in (None, [], {})}
            values.update(message.get("kwargs") or {})
            filled = response(message["response"], **values)
        else:
            filled = {"text": message.get("text"), "buttons": []}
        filled["buttons"] = filled["buttons"] + list(message.get("buttons") or [])
        shown.append(filled)
    return shown


def rendered_texts(messages: Sequence[dict[str, Any]]) -> list[str]:
    return [str(message["text"]) for message in rendered(messages)]
