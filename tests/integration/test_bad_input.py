"""Bad input to the trained bot always gets a friendly reply, never an error or silence.

Loads the trained model (env var PRIVACY_MODEL, default models/policy-assistant.tar.gz; `make test`
trains it first) and a real action server on a free port, then talks to the agent directly.
The second half goes through the real door: `rasa run` with credentials.yml (the bounded REST
channel, bot/chat/channel.py) on a free port, over HTTP as the widget does (issue 16).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
import pytest_asyncio
import yaml

from bot.chat.limits import DEFAULT_MAX_MESSAGE_LENGTH, DEFAULT_MAX_REQUEST_BYTES
from bot.contract import ACTION_TOKEN_HEADER
from tests.support.ports import free_port
from tests.support.processes import ServerProcess, start_server

# One event loop for the module: the agent is loaded once and shared by every test.
pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models" / "policy-assistant.tar.gz"
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))

LONG_TEXT = ("privacy " * 1250)[:10_000]
BAD_INPUTS = {
    "empty": "",
    "only spaces": "   ",
    "10,000 characters": LONG_TEXT,
    "10,000 characters of one letter": "a" * 10_000,
    "emoji": "😀🔥👍🏽",
    "japanese": "個人情報の取り扱いについて教えてください",
    "html": "<script>alert('x')</script><b>hi</b>",
    "html entities": "&lt;div&gt;&amp;&nbsp;",
    "control characters": "\x00\x07\x1b[31m",
    "gibberish": "qwpoeiruty zmxncbv",
}
# Inputs that carry no question at all must not be answered as if they asked about the policy.
NONSENSE = ("emoji", "html", "html entities", "control characters", "gibberish")


ACTION_TOKEN = secrets.token_urlsafe(32)


def model_path() -> Path:
    path = Path(os.environ.get("PRIVACY_MODEL", str(DEFAULT_MODEL)))
    return path if path.is_absolute() else ROOT / path


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server: ServerProcess = start_server(
        "action-server",
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        env={
            "RASA_TELEMETRY_ENABLED": "false",
            "HELPDESK_ENV": "development",
            "ACTION_SERVER_TOKEN": ACTION_TOKEN,
        },  # fmt: skip
        log_dir=tmp_path_factory.mktemp("logs"),
        cwd=ROOT,
    )
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/health", timeout=90)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def rasa_url(action_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rasa run` as `make run` starts it (credentials.yml), in-memory stores, a free port."""
    port = free_port()
    folder = tmp_path_factory.mktemp("rasa")
    endpoints = folder / "endpoints.yml"
    action_endpoint = {"url": action_server, "headers": {ACTION_TOKEN_HEADER: ACTION_TOKEN}}
    endpoints.write_text(yaml.safe_dump({"action_endpoint": action_endpoint}))
    rasa = Path(sys.executable).with_name("rasa")
    server = start_server(
        "rasa",
        [
            str(rasa), "run", "--model", str(model_path()), "--endpoints", str(endpoints),
            "--credentials", "credentials.yml", "--cors", "*", "--port", str(port),
        ],
        env={"RASA_TELEMETRY_ENABLED": "false"},
        log_dir=folder,
        cwd=ROOT,
    )  # fmt: skip
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/", timeout=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(action_server: str) -> AsyncIterator[Any]:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    path = model_path()
    assert path.is_file(), f"no trained model at {path}: run `make train` first"
    headers = {ACTION_TOKEN_HEADER: ACTION_TOKEN}
    endpoints = AvailableEndpoints(action=EndpointConfig(action_server, headers=headers))
    yield await load_agent(model_path=str(path), endpoints=endpoints)


async def replies_to(agent: Any, text: str) -> list[dict[str, Any]]:
    return await agent.handle_text(text, sender_id=f"bad-input-{uuid.uuid4().hex}")


@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
async def test_bad_input_gets_a_reply(agent: Any, text: str) -> None:
    replies = await replies_to(agent, text)
    texts = [reply.get("text") or "" for reply in replies]
    assert any(t.strip() for t in texts), f"no reply to {text[:40]!r}: {replies}"


@pytest.mark.parametrize("name", NONSENSE)
async def test_nonsense_is_not_answered_as_a_policy_question(agent: Any, name: str) -> None:
    replies = await replies_to(agent, BAD_INPUTS[name])
    texts = [reply.get("text") or "" for reply in replies]
    assert texts and not any("Source: [" in t for t in texts), texts


async def test_the_low_confidence_fallback_says_it_is_unsure_and_offers_topics(agent: Any) -> None:
    replies = await replies_to(agent, "/nlu_fallback")
    assert replies[0]["text"] == DOMAIN["responses"]["utter_fallback_sorry"][0]["text"]
    buttons = [button for reply in replies for button in reply.get("buttons") or []]
    assert len(buttons) >= 2, replies


async def test_a_policy_question_is_answered_with_its_source(agent: Any) -> None:
    replies = await replies_to(agent, "Can I turn off cookies?")
    assert any(
        "Source: [Use of cookies](/#use-of-cookies)" in (r.get("text") or "") for r in replies
    )


FIRST_FORM_QUESTION = "What is your full name?"
REQUEST_OR_QUESTION = DOMAIN["responses"]["utter_request_or_question"][0]["text"]
TYPE_SWITCHED = DOMAIN["responses"]["utter_request_type_switched"][0]["text"]
RIGHTS_SOURCE = "Source: [Personal Information Protection Policy](/#protection-policy)"


def payloads_of(replies: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons") or []]


@pytest.mark.parametrize(
    "text", ["could i ask casio to erase all my data", "can I request you erase my data"]
)
async def test_asking_whether_one_can_have_data_erased_gets_the_rights_answer_and_its_button(
    agent: Any, text: str
) -> None:
    replies = await replies_to(agent, text)
    texts = [reply.get("text") or "" for reply in replies]
    assert any(RIGHTS_SOURCE in t for t in texts) and FIRST_FORM_QUESTION not in texts, texts
    assert "/request_erasure" in payloads_of(replies), replies


# "can I delete my account": the clearest answer is the one on CASIO revoking accounts, which
# cannot open an erasure request, so the bot asks instead of answering it.
@pytest.mark.parametrize("text", ["can I make you forget me", "can I delete my account"])
async def test_asking_whether_one_can_with_no_answer_offering_it_asks_which_is_meant(
    agent: Any, text: str
) -> None:
    replies = await replies_to(agent, text)
    texts = [reply.get("text") or "" for reply in replies]
    assert REQUEST_OR_QUESTION in texts and FIRST_FORM_QUESTION not in texts, texts
    assert "/request_erasure" in payloads_of(replies), replies


async def test_inside_a_request_can_i_make_it_another_type_changes_the_type(agent: Any) -> None:
    sender = f"bad-input-{uuid.uuid4().hex}"
    started = await agent.handle_text("please wipe all my data", sender_id=sender)
    assert any(FIRST_FORM_QUESTION in (r.get("text") or "") for r in started), started

    replies = await agent.handle_text(
        "could I change this to a correction request?", sender_id=sender
    )

    texts = [reply.get("text") or "" for reply in replies]
    assert texts[0] == TYPE_SWITCHED.format(label="correction"), texts
    assert FIRST_FORM_QUESTION in texts[-1], texts


async def test_asking_for_data_to_be_erased_starts_the_form(agent: Any) -> None:
    texts = [
        reply.get("text") or "" for reply in await replies_to(agent, "please wipe all my data")
    ]
    assert any(FIRST_FORM_QUESTION in t for t in texts), texts


# A request wrapped in a story: read whole, the story's words (a camera, a printer, a daughter)
# pull it towards out of scope; its last sentence asks plainly, and the bot acts on it.
async def test_a_request_at_the_end_of_a_long_story_starts_its_form(agent: Any) -> None:
    story = (
        "My daughter and I have bought a camera, two printers and a piano from your shops since "
        "2012, and we registered most of them for the warranty. "
        "Please send me a copy of all the personal data you hold about me."
    )
    replies = await replies_to(agent, story)
    texts = [reply.get("text") or "" for reply in replies]
    explain = DOMAIN["responses"]["utter_explain_request"]
    disclosure = next(r["text"] for r in explain if r["condition"][0]["value"] == "disclosure")
    assert texts[0] == disclosure, texts
    assert FIRST_FORM_QUESTION in texts[-1], texts


# Asked about an earlier request by naming it ("delete my data"), the classifier reads a new
# erasure request (0.55 against the status check's 0.36); a second ticket must not be opened.
async def test_asking_how_an_earlier_erasure_is_going_looks_it_up_instead_of_opening_another(
    agent: Any,
) -> None:
    replies = await replies_to(agent, "I asked you to delete my data last month, any news?")
    texts = [reply.get("text") or "" for reply in replies]
    status_question = DOMAIN["responses"]["utter_ask_status_reference"][0]["text"]
    assert texts[-1] == status_question, texts
    assert not any(FIRST_FORM_QUESTION in t for t in texts), texts


# Read as a question about the customer's rights (faq 0.99), but it asks for a person.
async def test_asking_to_speak_to_a_human_is_handed_over_even_when_read_as_a_question(
    agent: Any,
) -> None:
    text = "is there a way to speak to an actual human about how my details are used"
    texts = [reply.get("text") or "" for reply in await replies_to(agent, text)]
    handoff = DOMAIN["responses"]["utter_explain_human_handoff"][0]["text"]
    assert texts[0] == handoff, texts
    assert FIRST_FORM_QUESTION in texts[-1], texts


async def test_a_story_given_as_the_details_stays_the_details_of_the_same_request(
    agent: Any,
) -> None:
    sender = f"bad-input-{uuid.uuid4().hex}"
    for answer in ("please delete my data", "Jane Smith", "jane@example.com", "skip"):
        await agent.handle_text(answer, sender_id=sender)
    story = (
        "We bought two watches in 2019 and the receipts went to my old flat. "
        "Please correct my address to 4 Elm Road before you delete anything."
    )
    await agent.handle_text(story, sender_id=sender)
    tracker = await agent.tracker_store.retrieve(sender)
    assert tracker.get_slot("details") == story
    assert tracker.get_slot("request_type") == "erasure"


# --- through the real channel: bounded input at the door (issue 16) ---------------------------

TOO_LONG_REPLY = DOMAIN["responses"]["utter_message_too_long"][0]["text"]
TOO_LONG_IN_FORM_REPLY = DOMAIN["responses"]["utter_message_too_long_in_form"][0]["text"]
HUGE = 100_000
HUGE_SHAPES = {
    "one long word": "a" * HUGE,
    "repeated a@": "a@" * (HUGE // 2),
    "repeated PR-": ("PR-" * HUGE)[:HUGE],
    "repeated a.": "a." * (HUGE // 2),
    "words": ("privacy " * HUGE)[:HUGE],
}


def webhook(rasa_url: str, body: bytes, timeout: float = 30) -> tuple[int, Any, float]:
    """POST raw bytes to the REST webhook: status, decoded JSON answer, seconds taken."""
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None, time.monotonic() - started


def say(rasa_url: str, text: str, sender: str | None = None) -> tuple[int, Any, float]:
    body = {"sender": sender or f"channel-{uuid.uuid4().hex}", "message": text}
    return webhook(rasa_url, json.dumps(body).encode())


def texts_of(replies: list[dict[str, Any]]) -> list[str]:
    return [reply.get("text") or "" for reply in replies]


def test_a_message_over_the_limit_gets_the_keep_it_short_reply(rasa_url: str) -> None:
    status, replies, _ = say(rasa_url, "please " * (DEFAULT_MAX_MESSAGE_LENGTH // 7 + 1))

    assert status == 200
    assert texts_of(replies) == [TOO_LONG_REPLY]
    assert replies[0]["buttons"] == [{"title": "Ask the Help Desk", "payload": "/request_inquiry"}]


def test_a_typed_faq_payload_still_gets_an_answer(rasa_url: str) -> None:
    status, replies, _ = say(rasa_url, "/faq")

    assert status == 200
    assert texts_of(replies), "the customer must hear something, not silence"


def test_a_message_at_the_limit_is_still_read(rasa_url: str) -> None:
    text = ("Do you use cookies? " * 200)[:DEFAULT_MAX_MESSAGE_LENGTH]
    status, replies, _ = say(rasa_url, text)
    assert status == 200 and replies and TOO_LONG_REPLY not in texts_of(replies)


@pytest.mark.parametrize("shape", HUGE_SHAPES)
def test_a_100000_character_message_is_answered_quickly(rasa_url: str, shape: str) -> None:
    status, replies, seconds = say(rasa_url, HUGE_SHAPES[shape])

    assert (status, texts_of(replies)) == (200, [TOO_LONG_REPLY])
    # The goal is under 1 s on 2 cores (make bench-fuzz measures it); generous for busy machines.
    assert seconds < 5, f"{seconds:.1f} s"


def test_a_normal_question_is_not_held_up_by_huge_messages(rasa_url: str) -> None:
    with ThreadPoolExecutor(max_workers=len(HUGE_SHAPES) + 1) as pool:
        huge = [pool.submit(say, rasa_url, text) for text in HUGE_SHAPES.values()]
        status, replies, seconds = pool.submit(say, rasa_url, "Can I turn off cookies?").result()
        assert all(future.result()[0] == 200 for future in huge)
    assert status == 200 and any("Source: [Use of cookies]" in t for t in texts_of(replies))
    assert seconds < 5, f"{seconds:.1f} s"


def test_inside_the_request_form_a_long_answer_is_refused_and_the_question_asked_again(
    rasa_url: str,
) -> None:
    sender = f"channel-form-{uuid.uuid4().hex}"
    _, started, _ = say(rasa_url, "/request_erasure", sender)
    question = texts_of(started)[-1]
    status, replies, _ = say(rasa_url, "My name is " + "x" * 3_000, sender)

    assert status == 200
    assert texts_of(replies) == [TOO_LONG_IN_FORM_REPLY, question]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", "body"),
        (b"not json", "body"),
        (b"[1, 2]", "body"),
        (b"[" * 100_000, "body"),
        (b'{"message": "hi"}', "sender"),
        (b'{"sender": 12, "message": "hi"}', "sender"),
        (b'{"sender": "s1"}', "message"),
        (b'{"sender": "s1", "message": ["hi"]}', "message"),
        (b'{"sender": "s1", "message": "\\ud800"}', "message"),
    ],
    ids=[
        "empty",
        "not JSON",
        "a list",
        "nested too deep",
        "no sender",
        "sender a number",
        "no message",
        "message a list",
        "unpaired surrogate",
    ],
)
def test_a_malformed_request_is_a_400_naming_the_field(
    rasa_url: str, body: bytes, field: str
) -> None:
    status, answer, _ = webhook(rasa_url, body)
    assert status == 400, answer
    assert field in answer["fields"], answer


def test_a_body_over_the_byte_limit_is_refused_before_it_is_read(rasa_url: str) -> None:
    body = json.dumps({"sender": "s1", "message": "a" * DEFAULT_MAX_REQUEST_BYTES}).encode()
    status, answer, _ = webhook(rasa_url, body)
    assert status == 413 and answer["error"] == "payload_too_large"


def test_the_widget_can_still_reach_the_webhook_from_another_origin(rasa_url: str) -> None:
    preflight = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        method="OPTIONS",
        headers={
            "Origin": "http://localhost:8000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    with urllib.request.urlopen(preflight, timeout=10) as response:
        assert response.status in (200, 204)
        assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:8000")
