"""Bad input to the trained bot always gets a friendly reply, never an error or silence.

Loads the trained model (env var PRIVACY_MODEL, default models/policy-assistant.tar.gz; `make test`
trains it first) and a real action server on a free port, then talks to the agent directly.
"""

from __future__ import annotations

import os
import secrets
import sys
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
import pytest_asyncio

from bot.contract import ACTION_TOKEN_HEADER
from tests.support.ports import free_port
from tests.support.processes import ServerProcess, start_server

# One event loop for the module: the agent is loaded once and shared by every test.
pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models" / "policy-assistant.tar.gz"

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


async def test_the_low_confidence_fallback_apologises_and_offers_topics(agent: Any) -> None:
    replies = await replies_to(agent, "/nlu_fallback")
    assert replies[0]["text"].startswith("Sorry")
    buttons = [button for reply in replies for button in reply.get("buttons") or []]
    assert len(buttons) >= 2, replies


async def test_a_policy_question_is_answered_with_its_source(agent: Any) -> None:
    replies = await replies_to(agent, "Can I turn off cookies?")
    assert any(
        "Source: [Use of cookies](/#use-of-cookies)" in (r.get("text") or "") for r in replies
    )
