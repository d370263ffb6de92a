"""Checking what clients send: every problem is reported against the field that caused it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.contract import (
    EXCERPT_SENDERS,
    MAX_EXCERPT_MESSAGES,
    MAX_EXCERPT_TEXT,
    MAX_FIELD_LENGTHS,
    VERIFICATION_CODE_DIGITS,
    is_email,
    parse_reference,
)
from bot.helpdesk.models import (
    ExcerptMessage,
    NewTicket,
    Origin,
    Status,
    TicketFilter,
    TicketType,
)

MAX_NOTE_LENGTH = 5000
MAX_ASSIGNEE_LENGTH = 100
MAX_IDEMPOTENCY_KEY = 200
REQUIRED = ("type", "requester_name", "email", "details")
OPTIONAL = ("phone", "membership_id", "service", "conversation_id")
KNOWN_FIELDS = frozenset((*REQUIRED, *OPTIONAL, "origin", "conversation_excerpt"))

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOT_STORABLE = "must be text without NUL characters or unpaired surrogates"
PRINTABLE_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


# The fields of the console's new-ticket form (`form_key` is its idempotency key).
CONSOLE_TICKET_FIELDS = (
    "form_key", "type", "requester_name", "email", "phone", "membership_id", "service", "details",
)  # fmt: skip


class InvalidJson(ValueError):
    """The request body is not JSON at all (a 400, where a wrong field is a 422)."""


def storable(value: str) -> bool:
    """PostgreSQL cannot store NUL, and no database (nor UTF-8) an unpaired surrogate ("\\ud800"
    is valid JSON): either would fail deep in the driver with a 500 instead of a 422."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ValidationFailed(ValueError):
    """What is wrong, by field; `summary` is the one sentence an API error starts with."""

    def __init__(
        self, fields: dict[str, str], summary: str = "Some fields are missing or invalid."
    ) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields
        self.summary = summary


def _text(
    payload: Mapping[str, Any], name: str, errors: dict[str, str], required: bool
) -> str | None:
    value = payload.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = "is required"
        return None
    if not isinstance(value, str):
        errors[name] = "must be a string"
        return None
    value = value.strip()
    if len(value) > MAX_FIELD_LENGTHS[name]:
        errors[name] = f"must be at most {MAX_FIELD_LENGTHS[name]} characters"
        return None
    if CONTROL.search(value) and name != "details":
        errors[name] = "must not contain control characters"
        return None
    if not storable(value):
        errors[name] = NOT_STORABLE
        return None
    return value


def _excerpt(value: Any, errors: dict[str, str]) -> tuple[ExcerptMessage, ...]:
    name = "conversation_excerpt"
    if value is None:
        return ()
    if not isinstance(value, list):
        errors[name] = "must be a list of messages"
        return ()
    if len(value) > MAX_EXCERPT_MESSAGES:
        errors[name] = f"must have at most {MAX_EXCERPT_MESSAGES} messages"
        return ()
    messages = []
    for index, item in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            errors[where] = "must be an object with sender and text"
            continue
        sender, text, timestamp = item.get("sender"), item.get("text"), item.get("timestamp")
        if sender not in EXCERPT_SENDERS:
            errors[f"{where}.sender"] = f"must be one of {', '.join(EXCERPT_SENDERS)}"
        if not isinstance(text, str) or len(text) > MAX_EXCERPT_TEXT:
            errors[f"{where}.text"] = f"must be a string of at most {MAX_EXCERPT_TEXT} characters"
        elif not storable(text):
            errors[f"{where}.text"] = NOT_STORABLE
        if timestamp is not None and (
            not isinstance(timestamp, str) or len(timestamp) > 40 or not storable(timestamp)
        ):
            errors[f"{where}.timestamp"] = "must be an ISO 8601 string"
        if f"{where}.sender" not in errors and f"{where}.text" not in errors:
            messages.append(ExcerptMessage(str(sender), str(text), timestamp))
    return tuple(messages)


def _choice(value: Any, enum_type: Any, name: str, errors: dict[str, str]) -> Any:
    options = [member.value for member in enum_type]
    if value is None:
        errors[name] = "is required"
    elif not isinstance(value, str) or value not in options:
        errors[name] = f"must be one of {', '.join(options)}"
    else:
        return enum_type(value)
    return None


def parse_json(body: bytes | None) -> Any:
    try:
        return json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson("The request body is not valid JSON.") from None


def console_ticket_form(form: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The console's new-ticket form: its values (to show again) and the ticket request."""
    values = {name: (form.get(name) or "") for name in CONSOLE_TICKET_FIELDS}
    payload: dict[str, Any] = {name: values[name] or None for name in CONSOLE_TICKET_FIELDS[1:]}
    payload["origin"] = Origin.CONSOLE.value
    return values, payload


def parse_new_ticket(payload: Any) -> NewTicket:
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    for unknown in sorted(set(payload) - KNOWN_FIELDS):
        errors[unknown] = "is not a known field"
    ticket_type = _choice(payload.get("type"), TicketType, "type", errors)
    origin = _choice(payload.get("origin", "chat"), Origin, "origin", errors)
    values = {name: _text(payload, name, errors, name in REQUIRED) for name in MAX_FIELD_LENGTHS}
    email = values["email"]
    if email is not None and not is_email(email):
        errors["email"] = "must be a valid email address such as jane@example.com"
    excerpt = _excerpt(payload.get("conversation_excerpt"), errors)
    if errors:
        raise ValidationFailed(errors)
    return NewTicket(
        type=ticket_type,
        origin=origin,
        requester_name=str(values["requester_name"]),
        email=str(email),
        details=str(values["details"]),
        phone=values["phone"],
        membership_id=values["membership_id"],
        service=values["service"],
        conversation_id=values["conversation_id"],
        conversation_excerpt=excerpt,
    )


def parse_idempotency_key(value: str | None) -> str:
    if value is None or not value:
        raise ValidationFailed({"Idempotency-Key": "header is required"})
    if not PRINTABLE_KEY.match(value):
        raise ValidationFailed(
            {"Idempotency-Key": "must be 1-200 printable ASCII characters without spaces"}
        )
    return value


def parse_status(payload: Any) -> Status:
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    status = _choice(payload.get("status"), Status, "status", errors)
    if errors:
        raise ValidationFailed(errors)
    return Status(status)


def parse_assignee(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    if "assignee" not in payload:
        raise ValidationFailed({"assignee": "is required (null to unassign)"})
    return clean_assignee(payload["assignee"])


def clean_assignee(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValidationFailed({"assignee": "must be a string or null"})
    value = value.strip()
    if len(value) > MAX_ASSIGNEE_LENGTH or CONTROL.search(value) or not storable(value):
        raise ValidationFailed(
            {"assignee": f"must be at most {MAX_ASSIGNEE_LENGTH} printable characters"}
        )
    return value


def parse_note(payload: Any) -> str:
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    return clean_note(payload.get("text"))


def clean_note(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({"text": "is required"})
    if len(value) > MAX_NOTE_LENGTH:
        raise ValidationFailed({"text": f"must be at most {MAX_NOTE_LENGTH} characters"})
    if not storable(value):
        raise ValidationFailed({"text": NOT_STORABLE})
    return value.strip()


def parse_login(payload: Any) -> tuple[str, str, str]:
    """Username, password and (for an account with a second factor) the authenticator code
    of a staff API login; the code is optional here, the login decides whether it is needed."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"}, "Send a JSON object.")
    username, password = payload.get("username"), payload.get("password")
    missing = {
        name: "is required"
        for name, value in (("username", username), ("password", password))
        if not isinstance(value, str) or not value
    }
    if missing:
        raise ValidationFailed(missing, "Username and password are required.")
    code = payload.get("code", "")
    if not isinstance(code, str) or len(code) > 20:
        raise ValidationFailed({"code": "must be the authenticator's 6 digits"}, "Check the code.")
    return str(username), str(password), code


def parse_status_lookup(payload: Any) -> tuple[str, str | None]:
    """The email of a status lookup, and the conversation it comes from (if any)."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"}, "Send a JSON object.")
    email, conversation = payload.get("email"), payload.get("conversation_id")
    if email is None:
        email = ""  # answered like a wrong email: no hint whether the reference exists
    if not isinstance(email, str) or len(email) > 254:
        raise ValidationFailed({"email": "must be a string"}, "The email address is a string.")
    if conversation is not None and (not isinstance(conversation, str) or len(conversation) > 200):
        raise ValidationFailed({"conversation_id": "must be a short string"}, "Bad conversation.")
    return email.strip(), (conversation or None)


def parse_ticket_filter(args: Mapping[str, str]) -> TicketFilter:
    """The queue's filters from a query string."""
    status, ticket_type, overdue = parse_filters(
        {name: args.get(name, "") for name in ("status", "type", "overdue")}
    )
    return TicketFilter(status=status, type=ticket_type, overdue=overdue)


def parse_filters(args: Mapping[str, str]) -> tuple[Status | None, TicketType | None, bool]:
    """Query-string filters: `status`, `type`, `overdue=true`; empty means no filter."""
    errors: dict[str, str] = {}
    status = ticket_type = None
    if args.get("status"):
        status = _choice(args["status"], Status, "status", errors)
    if args.get("type"):
        ticket_type = _choice(args["type"], TicketType, "type", errors)
    overdue_raw = (args.get("overdue") or "false").lower()
    if overdue_raw not in ("true", "false", "1", "0"):
        errors["overdue"] = "must be true or false"
    if errors:
        raise ValidationFailed(errors)
    return status, ticket_type, overdue_raw in ("true", "1")


def parse_verification_attempt(reference: str, payload: Any) -> tuple[str, str, str]:
    """The ticket, the code and the conversation of a code typed in the chat: the reference in
    canonical form, the code's digits ("123 456" is 123456), and the conversation id."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"body": "must be a JSON object"}, "Send a JSON object.")
    errors: dict[str, str] = {}
    canonical = parse_reference(reference[:32])
    if canonical is None:
        errors["reference"] = "must be a ticket reference such as PR-7KQ2-M9XD"
    code, conversation = payload.get("code"), payload.get("conversation_id")
    digits = "".join(c for c in code if c.isdigit()) if isinstance(code, str) else ""
    if not isinstance(code, str) or len(code) > 20 or len(digits) != VERIFICATION_CODE_DIGITS:
        errors["code"] = f"must be the {VERIFICATION_CODE_DIGITS}-digit code from the email"
    if not isinstance(conversation, str) or not conversation.strip():
        errors["conversation_id"] = "is required"
    elif len(conversation) > MAX_FIELD_LENGTHS["conversation_id"] or not storable(conversation):
        errors["conversation_id"] = "must be a conversation id of at most 200 characters"
    if errors:
        raise ValidationFailed(errors)
    return str(canonical), digits, str(conversation)
