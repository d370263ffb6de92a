"""The chat channel's door (bot/chat/channel.py): bounded bodies, 400 for malformed requests,
and over-long messages turned into `message_too_long` before the NLU could read them.

The channel is registered on a fresh Sanic app the way `rasa run` does it
(`rasa.core.channels.channel.register`), with a fake agent that records what reaches Rasa.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.chat.channel import (
    FAILED_ACTION_RESPONSES,
    REPLY_FAILED_RESPONSE,
    TOO_LONG_INTENT,
    TOO_LONG_TEXT,
    BoundedRestInput,
)
from bot.chat.limits import ChatLimits
from bot.rasa_runtime import ACTION_FAILED

Sanic.test_mode = True

LIMITS = ChatLimits(max_message_length=50, max_request_bytes=4_000)
URL = "/webhooks/rest/webhook"


REPLY_FAILED = "Sorry, something went wrong on my side. Please send it again in a moment."
INTERRUPTED = "Sorry, I can't tell yet whether the Help Desk received it."
TRY_AGAIN = [{"title": "Try again", "payload": "/try_again"}]


@dataclass
class FakeDomain:
    responses: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            "utter_reply_failed": [{"text": REPLY_FAILED}],
            "utter_submission_interrupted": [{"text": INTERRUPTED, "buttons": TRY_AGAIN}],
        }
    )


@dataclass
class FakeAgent:
    """Answers every message with one reply; remembers what it was given."""

    received: list[UserMessage] = field(default_factory=list)
    fail: bool = False
    silent: bool = False  # says nothing, as for /session_start
    action_fails: str | None = None  # the custom action that failed (marked as rasa_runtime does)
    domain: FakeDomain = field(default_factory=FakeDomain)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("the agent broke")
        if self.action_fails:
            setattr(message.output_channel, ACTION_FAILED, self.action_fails)
            return  # Rasa logged it, dropped the action's events and said nothing
        if not self.silent:
            await message.output_channel.send_text_message(message.sender_id, "a reply")


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


@pytest.fixture
def client(agent: FakeAgent) -> Any:
    app = Sanic(f"chat_channel_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    register([BoundedRestInput(LIMITS)], app, route="/webhooks/")
    return app.asgi_client


async def post(client: Any, body: bytes | dict[str, Any]) -> Any:
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    _, resp = await client.post(URL, content=content)
    return resp


def test_the_channel_keeps_the_rest_name_so_the_url_does_not_change() -> None:
    assert BoundedRestInput.name() == "rest"
    assert BoundedRestInput(LIMITS).url_prefix() == "rest"


def test_limits_come_from_the_environment_when_rasa_builds_the_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAT_MAX_MESSAGE_LENGTH", "123")
    monkeypatch.setenv("CHAT_MAX_REQUEST_BYTES", "4567")
    channel = BoundedRestInput.from_credentials(None)
    assert channel.limits == ChatLimits(max_message_length=123, max_request_bytes=4567)


async def test_health_answers(client: Any) -> None:
    _, resp = await client.get("/webhooks/rest/")
    assert (resp.status, resp.json) == (200, {"status": "ok"})


async def test_a_normal_message_reaches_rasa_as_typed(client: Any, agent: FakeAgent) -> None:
    resp = await post(client, {"sender": "s1", "message": "do you use cookies?"})

    assert resp.status == 200
    assert resp.json == [{"recipient_id": "s1", "text": "a reply"}]
    [message] = agent.received
    assert (message.text, message.sender_id, message.input_channel) == (
        "do you use cookies?",
        "s1",
        "rest",
    )
    assert message.parse_data is None, "an ordinary message goes through the NLU"


@pytest.mark.parametrize("typed", ["/faq", " /faq{}", "/faq/cookies"])
async def test_a_typed_retrieval_payload_is_read_as_text(
    client: Any, agent: FakeAgent, typed: str
) -> None:
    resp = await post(client, {"sender": "s1", "message": typed})

    assert resp.status == 200
    [message] = agent.received
    assert message.text == typed.strip()[1:], "Rasa's retrieval action cannot answer `/faq` itself"
    assert message.parse_data is None


async def test_a_button_payload_reaches_rasa_unchanged(client: Any, agent: FakeAgent) -> None:
    await post(client, {"sender": "s1", "message": "/request_erasure"})

    [message] = agent.received
    assert message.text == "/request_erasure"


async def test_a_message_at_the_limit_is_read(client: Any, agent: FakeAgent) -> None:
    text = "a" * LIMITS.max_message_length
    await post(client, {"sender": "s1", "message": f"  {text}\n"})
    assert agent.received[0].text == text and agent.received[0].parse_data is None


@pytest.mark.parametrize(
    "text",
    ["a" * 51, "word " * 500, "a@" * 900, "PR-" * 600, "a." * 900, "😀" * 51],
    ids=["one over", "many words", "a@", "PR-", "a.", "emoji"],
)
async def test_a_message_over_the_limit_never_reaches_the_nlu(
    client: Any, agent: FakeAgent, text: str
) -> None:
    resp = await post(client, {"sender": "s1", "message": text, "metadata": {"page": "/"}})

    assert resp.status == 200 and resp.json, "the customer still gets the bot's reply"
    [message] = agent.received
    assert message.text == TOO_LONG_TEXT, "the long text is neither parsed nor stored"
    assert message.parse_data is not None
    assert message.parse_data["intent"] == {"name": TOO_LONG_INTENT, "confidence": 1.0}
    assert message.parse_data["entities"] == []
    assert message.metadata == {"page": "/", "message_too_long": {"length": len(text)}}


async def test_a_failing_agent_still_gets_an_answer_not_a_500(
    client: Any, agent: FakeAgent
) -> None:
    agent.fail = True  # the lock store or the tracker store is down (scripts/bench_faults.py)
    resp = await post(client, {"sender": "s1", "message": "hi"})
    assert resp.status == 200
    assert resp.json == [{"recipient_id": "s1", "text": REPLY_FAILED}]


async def test_a_turn_whose_action_failed_silently_gets_the_apology_not_an_empty_reply(
    client: Any, agent: FakeAgent
) -> None:
    agent.action_fails = "validate_privacy_request_form"  # the action server died mid-turn
    resp = await post(client, {"sender": "s1", "message": "my name is Robin"})
    assert resp.json == [{"recipient_id": "s1", "text": REPLY_FAILED}]


async def test_a_submission_cut_off_claims_nothing_and_offers_to_try_again(
    client: Any, agent: FakeAgent
) -> None:
    agent.action_fails = "action_submit_privacy_request"  # maybe stored, maybe not
    resp = await post(client, {"sender": "s1", "message": "/affirm"})
    assert resp.json == [{"recipient_id": "s1", "text": INTERRUPTED, "buttons": TRY_AGAIN}]


async def test_a_turn_silent_by_design_stays_silent(client: Any, agent: FakeAgent) -> None:
    agent.silent = True
    resp = await post(client, {"sender": "s1", "message": "/session_start"})
    assert (resp.status, resp.json) == (200, [])


async def test_an_answered_turn_gets_no_apology(client: Any, agent: FakeAgent) -> None:
    resp = await post(client, {"sender": "s1", "message": "hi"})
    assert resp.json == [{"recipient_id": "s1", "text": "a reply"}]


async def test_a_model_without_the_apology_still_answers_200(client: Any, agent: FakeAgent) -> None:
    agent.fail = True
    agent.domain = FakeDomain(responses={})
    resp = await post(client, {"sender": "s1", "message": "hi"})
    assert (resp.status, resp.json) == (200, [])


def test_the_apology_is_a_response_in_the_domain() -> None:
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parents[3] / "domain.yml").read_text())
    assert domain["responses"][REPLY_FAILED_RESPONSE][0]["text"].endswith("again in a moment.")


def test_every_failed_action_apology_is_in_the_domain_and_the_submission_one_tries_again() -> None:
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parents[3] / "domain.yml").read_text())
    for response in FAILED_ACTION_RESPONSES.values():
        assert domain["responses"][response][0]["text"]
    submission = domain["responses"][FAILED_ACTION_RESPONSES["action_submit_privacy_request"]][0]
    assert {"title": "Try again", "payload": "/try_again"} in submission["buttons"]
    rules = yaml.safe_load(
        (Path(__file__).resolve().parents[3] / "data/rules/requests.yml").read_text()
    )
    assert any(  # and "Try again" sends the same request again
        rule["steps"] == [{"intent": "try_again"}, {"action": "action_submit_privacy_request"}]
        for rule in rules["rules"]
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b"", {"body": "is required"}),
        (b"  \n", {"body": "is required"}),
        (b"hello", {"body": "must be JSON"}),
        (b'{"sender": "s1", "message": "hi"', {"body": "must be JSON"}),
        (b"\xff\xfe\x00", {"body": "must be JSON"}),
        (b"[" * 3_000, {"body": "must be JSON"}),
        (b"null", {"body": "must be a JSON object"}),
        (b"[]", {"body": "must be a JSON object"}),
        (b'"hi"', {"body": "must be a JSON object"}),
        (b"42", {"body": "must be a JSON object"}),
    ],
    ids=[
        "empty",
        "blank",
        "not JSON",
        "truncated JSON",
        "not UTF-8",
        "nested too deep",
        "null",
        "list",
        "string",
        "number",
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_400_naming_the_body(
    client: Any, agent: FakeAgent, body: bytes, fields: dict[str, str]
) -> None:
    resp = await post(client, body)

    assert resp.status == 400
    assert resp.json["error"] == "invalid_json" and resp.json["message"]
    assert resp.json["fields"] == fields
    assert not agent.received


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"message": "hi"}, {"sender": "is required"}),
        ({"sender": None, "message": "hi"}, {"sender": "is required"}),
        ({"sender": 7, "message": "hi"}, {"sender": "must be a string"}),
        ({"sender": ["s1"], "message": "hi"}, {"sender": "must be a string"}),
        ({"sender": " ", "message": "hi"}, {"sender": "must not be empty"}),
        ({"sender": "s" * 256, "message": "hi"}, {"sender": "must be at most 255 characters"}),
        ({"sender": "s\x00", "message": "hi"}, {"sender": "must be printable text"}),
        ({"sender": "s\n1", "message": "hi"}, {"sender": "must be printable text"}),
        ({"sender": "\ud800", "message": "hi"}, {"sender": "must be printable text"}),
        ({"sender": "s1"}, {"message": "is required"}),
        ({"sender": "s1", "message": None}, {"message": "is required"}),
        ({"sender": "s1", "message": 42}, {"message": "must be a string"}),
        ({"sender": "s1", "message": {"text": "hi"}}, {"message": "must be a string"}),
        ({"sender": "s1", "message": True}, {"message": "must be a string"}),
        ({"sender": "s1", "message": "hi \udc00"}, {"message": "must be valid Unicode text"}),
        ({}, {"sender": "is required", "message": "is required"}),
        ({"sender": "s1", "message": "hi", "metadata": "x"}, {"metadata": "must be a JSON object"}),
        (
            {"sender": "s1", "message": "hi", "input_channel": 3},
            {"input_channel": "must be a string"},
        ),
    ],
)
async def test_a_missing_or_wrong_field_is_a_400_naming_it(
    client: Any, agent: FakeAgent, body: dict[str, Any], fields: dict[str, str]
) -> None:
    resp = await post(client, body)

    assert resp.status == 400
    assert resp.json["error"] == "invalid_request"
    assert resp.json["fields"] == fields
    assert not agent.received


async def test_odd_but_valid_text_is_passed_on(client: Any, agent: FakeAgent) -> None:
    for text in ["", "\x00\x07\x1b[31m", "<script>alert(1)</script>", "個人情報", "😀"]:
        resp = await post(client, {"sender": "s1", "message": text})
        assert resp.status == 200, text
    assert len(agent.received) == 5


async def test_a_body_over_the_byte_limit_is_refused_with_413(
    client: Any, agent: FakeAgent
) -> None:
    body = json.dumps({"sender": "s1", "message": "a" * LIMITS.max_request_bytes}).encode()
    resp = await post(client, body)

    assert resp.status == 413
    assert resp.json["error"] == "payload_too_large"
    assert not agent.received
