"""Names shared by the request forms and actions."""

from __future__ import annotations

from typing import Any

from bot.contract import REQUEST_TYPE_DESCRIPTIONS as REQUEST_TYPE_DESCRIPTIONS
from bot.contract import REQUEST_TYPE_LABELS

# The answer stored in `service` when the customer does not name one.
NO_SERVICE = "(not specified)"

# Everything the privacy request form collects; cleared once a ticket is opened or cancelled.
REQUEST_FORM_SLOTS: list[str] = [
    "request_type",
    "requester_name",
    "email",
    "service",
    "details",
    "confirmation",
    "submission_marker",
]
STATUS_FORM_SLOTS: list[str] = ["status_reference", "status_email"]


def request_type_label(request_type: str) -> str:
    return REQUEST_TYPE_LABELS.get(request_type, request_type.replace("_", " "))


def as_text(value: Any) -> str | None:
    """A slot or JSON value as text: None stays None; a list (two extractors found the same
    entity) gives its first item."""
    if isinstance(value, list):
        texts = [str(item) for item in value if item is not None]
        return texts[0] if texts else None
    return None if value is None else str(value)
