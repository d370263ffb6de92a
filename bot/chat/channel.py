"""Rasa's REST channel with a door in front of the NLU (issue 16).

Registered in credentials.yml as `bot.chat.channel.BoundedRestInput` in place of `rest:`; its name
is still `rest`, so the URL stays `POST /webhooks/rest/webhook` and clients see no difference
until they send something they should not:

- a body over `CHAT_MAX_REQUEST_BYTES` is refused with 413 while it is being read, before parsing;
- an empty or non-JSON body, or a missing or wrong `sender`/`message`, gets 400 naming the field
  (`{"error": ..., "message": ..., "fields": {...}}`, the help desk's error shape), never a 500;
- a message longer than `CHAT_MAX_MESSAGE_LENGTH` characters never reaches the NLU: it is logged
  as the intent `message_too_long` with ready-made parse data (Rasa then skips the pipeline
  altogether) and a rule answers with `utter_message_too_long`. The tracker keeps only the length.
- a message Rasa could not answer (its tracker store or lock store failed, or a custom action
  failed, marked by bot/rasa_runtime.py, and Rasa said nothing) gets the domain's
  `utter_reply_failed`, which asks the customer to send it again, never an empty reply that
  leaves the customer waiting (scripts/bench_faults.py, issue #15); when the failed action was
  the submission of a confirmed request, `utter_submission_interrupted` instead, which claims
  nothing and offers "Try again" (the same request under the same key). A turn silent by design
  (`/session_start`, `/restart`) stays silent.
"""

from __future__ import annotations

import copy
import json
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.chat.limits import ChatLimits
from bot.rasa_runtime import ACTION_FAILED

logger = logging.getLogger(__name__)

TOO_LONG_INTENT = "message_too_long"
TOO_LONG_TEXT = f"/{TOO_LONG_INTENT}"
# Rasa's SQL tracker store keeps the sender id in a VARCHAR(255).
MAX_SENDER_LENGTH = 255
# Retrieval intents: their answer comes from the response selector, which a typed payload such as
# `/faq` skips, and Rasa's retrieval action then fails and the customer hears nothing. The door
# reads such a payload as text (without the slash), so the NLU answers it like any message.
RETRIEVAL_INTENTS = frozenset({"faq"})

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# The domain response sent when handling a message failed and the bot said nothing.
REPLY_FAILED_RESPONSE = "utter_reply_failed"
# ...or, when the failed custom action is one of these, its own response: a submission cut off
# may have been recorded, and "Try again" sends it again under the same key.
FAILED_ACTION_RESPONSES = {"action_submit_privacy_request": "utter_submission_interrupted"}


class BadRequest(ValueError):
    """What the client sent cannot be a chat message; `fields` says which part and why."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> HTTPResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return response.json(body, status=status)


def _is_text(value: str) -> bool:
    """No unpaired surrogates: JSON allows "\\ud800", UTF-8 and the databases do not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sender_problem(sender: Any) -> str | None:
    if sender is None:
        return "is required"
    if not isinstance(sender, str):
        return "must be a string"
    if not sender.strip():
        return "must not be empty"
    if len(sender) > MAX_SENDER_LENGTH:
        return f"must be at most {MAX_SENDER_LENGTH} characters"
    if not sender.isprintable() or not _is_text(sender):
        return "must be printable text"
    return None


def _message_problem(message: Any) -> str | None:
    if message is None:
        return "is required"
    if not isinstance(message, str):
        return "must be a string"
    if not _is_text(message):
        return "must be valid Unicode text"
    return None


def parse_body(body: bytes) -> dict[str, Any]:
    """The request as a JSON object with a usable sender and message, or BadRequest."""
    if not body.strip():
        raise BadRequest(
            "The request body is empty: send a JSON object with sender and message.",
            {"body": "is required"},
        )
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("The request body is not valid JSON.", {"body": "must be JSON"}) from None
    if not isinstance(payload, dict):
        raise BadRequest(
            "The request body must be a JSON object with sender and message.",
            {"body": "must be a JSON object"},
        )
    fields: dict[str, str] = {}
    for name, problem in (
        ("sender", _sender_problem(payload.get("sender"))),
        ("message", _message_problem(payload.get("message"))),
    ):
        if problem:
            fields[name] = problem
    metadata, channel = payload.get("metadata"), payload.get("input_channel")
    if metadata is not None and not isinstance(metadata, dict):
        fields["metadata"] = "must be a JSON object"
    if channel is not None and (not isinstance(channel, str) or not _is_text(channel)):
        fields["input_channel"] = "must be a string"
    if fields:
        raise BadRequest("Some fields are missing or invalid.", fields)
    return payload


async def read_limited_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    stream: Any = request.stream  # Sanic's Http, or its ASGI counterpart under test clients
    if stream is None:
        return request.body if len(request.body) <= limit else None
    if hasattr(stream, "request_max_size"):
        # Sanic lifts its own limit for streaming routes; put ours in its place, so whatever is
        # left unread after a 413 is not drained but the connection closed.
        stream.request_max_size = limit
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except PayloadTooLarge:
        return None
    return b"".join(chunks)


def reply_failed_messages(
    agent: Any, recipient_id: str, failed_action: str | None = None
) -> list[dict[str, Any]]:
    """The model's apology for a turn that failed silently, as the channel's reply: the failed
    action's own response (FAILED_ACTION_RESPONSES) or `utter_reply_failed`; none if the model
    lacks it."""
    name = FAILED_ACTION_RESPONSES.get(failed_action or "", REPLY_FAILED_RESPONSE)
    responses = getattr(getattr(agent, "domain", None), "responses", None) or {}
    variation = (responses.get(name) or [{}])[0]
    if not variation.get("text"):
        logger.warning("the model's domain has no %s response", name)
        return []
    message = {"recipient_id": recipient_id, "text": variation["text"]}
    if variation.get("buttons"):
        message["buttons"] = variation["buttons"]
    return [message]


def as_text_if_retrieval_payload(message: str) -> str:
    """`/faq...` (a retrieval intent's payload) as the text `faq...`; anything else unchanged."""
    stripped = message.strip()
    if not stripped.startswith("/"):
        return message
    intent = stripped[1:].split("{", 1)[0].split("/", 1)[0].split("@", 1)[0].strip()
    return stripped[1:] if intent in RETRIEVAL_INTENTS else message


class BoundedRestInput(RestInput):
    """`rest` with bounded input: the limits come from the environment (`ChatLimits`)."""

    def __init__(self, limits: ChatLimits | None = None) -> None:
        self.limits = limits or ChatLimits.from_env()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> BoundedRestInput:
        return cls(ChatLimits.from_env())

    def user_message(
        self, payload: dict[str, Any], output_channel: CollectingOutputChannel
    ) -> UserMessage:
        """The message for Rasa; an over-long one as `message_too_long`, with no text kept."""
        text: str = as_text_if_retrieval_payload(payload["message"])
        metadata: dict[str, Any] | None = payload.get("metadata")
        channel = payload.get("input_channel") or self.name()
        parse_data = None
        if len(text.strip()) > self.limits.max_message_length:
            intent = {"name": TOO_LONG_INTENT, "confidence": 1.0}
            parse_data = {
                "text": TOO_LONG_TEXT,
                "intent": intent,
                "intent_ranking": [intent],
                "entities": [],
            }
            metadata = {**(metadata or {}), "message_too_long": {"length": len(text)}}
            text = TOO_LONG_TEXT
        return UserMessage(
            text,
            output_channel,
            payload["sender"],
            parse_data=parse_data,
            input_channel=channel,
            metadata=metadata,
        )

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse | ResponseStream:
            limit = self.limits.max_request_bytes
            body = await read_limited_body(request, limit)
            if body is None:
                return error_response(
                    413, "payload_too_large", f"The request body is larger than {limit} bytes."
                )
            try:
                payload = parse_body(body)
            except BadRequest as error:
                code = "invalid_json" if "body" in error.fields else "invalid_request"
                return error_response(400, code, str(error), error.fields)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                message = self.user_message(payload, CollectingOutputChannel())
                return response.stream(
                    self.stream_response(
                        on_new_message,
                        message.text,
                        message.sender_id,
                        message.input_channel,
                        message.metadata,
                    ),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            message = self.user_message(payload, collector)
            failed = False
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("rest message timed out: %r", copy.deepcopy(message.text)[:200])
            except Exception:
                logger.exception("rest message failed: %r", copy.deepcopy(message.text)[:200])
                failed = True
            failed_action = getattr(collector, ACTION_FAILED, None)
            if (failed or failed_action) and not collector.messages:
                # A store or the action server failed and the bot said nothing: say so, rather
                # than leave the customer waiting.
                agent = getattr(request.app.ctx, "agent", None)
                return response.json(reply_failed_messages(agent, message.sender_id, failed_action))
            return response.json(collector.messages)

        return webhook
