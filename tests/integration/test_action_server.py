"""The action server over real HTTP: only a caller with ACTION_SERVER_TOKEN runs an action
(issue #13), and outside development it will not start without safe secrets."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.contract import ACTION_TOKEN_HEADER
from tests.support.ports import free_port
from tests.support.processes import start_server

ROOT = Path(__file__).resolve().parents[2]
TOKEN = secrets.token_urlsafe(32)
# A forged call as the attacker sent it: a tracker that would run an action.
FORGED_CALL = {
    "next_action": "action_suggest_topics",
    "sender_id": "attacker",
    "version": "3.6.21",
    "tracker": {"sender_id": "attacker", "slots": {}, "latest_message": {"intent": {}},
                "events": [], "paused": False, "followup_action": None,
                "active_loop": {}, "latest_action_name": None},
    "domain": {"responses": {}, "slots": {}, "intents": [], "entities": [], "forms": {},
               "actions": []},
}  # fmt: skip


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = start_server(
        "action-server",
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        env={
            "HELPDESK_ENV": "development",
            "ACTION_SERVER_TOKEN": TOKEN,
            "RASA_TELEMETRY_ENABLED": "false",
        },  # fmt: skip
        log_dir=tmp_path_factory.mktemp("logs"),
        cwd=ROOT,
    )
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/health", timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def post_webhook(base: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"{base}/webhook",
        data=json.dumps(FORGED_CALL).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    "headers",
    [{}, {ACTION_TOKEN_HEADER: "wrong"}, {ACTION_TOKEN_HEADER: TOKEN[:-1]},
     {ACTION_TOKEN_HEADER: ""}, {"Authorization": f"Bearer {TOKEN}"}],
)  # fmt: skip
def test_a_forged_webhook_call_is_refused(action_server: str, headers: dict[str, str]) -> None:
    assert post_webhook(action_server, headers) == 401


def test_the_action_list_is_refused_without_the_token(action_server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{action_server}/actions", timeout=10)
    assert refused.value.code == 401


def test_rasa_with_the_token_runs_the_action(action_server: str) -> None:
    assert post_webhook(action_server, {ACTION_TOKEN_HEADER: TOKEN}) == 200


def test_health_stays_open(action_server: str) -> None:
    with urllib.request.urlopen(f"{action_server}/health", timeout=10) as response:
        assert response.status == 200


def start_outside_development(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    removed = ("HELPDESK_ENV", "ACTION_SERVER_TOKEN", "HELPDESK_SERVICE_TOKEN")
    base = {k: v for k, v in os.environ.items() if k not in removed}
    return subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", str(free_port())],
        env={**base, "HELPDESK_URL": "http://desk.internal:8000", **env}, cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HELPDESK_SERVICE_TOKEN": secrets.token_urlsafe(32)}, "ACTION_SERVER_TOKEN"),
        ({"ACTION_SERVER_TOKEN": "short", "HELPDESK_SERVICE_TOKEN": secrets.token_urlsafe(32)},
         "ACTION_SERVER_TOKEN"),
        ({"ACTION_SERVER_TOKEN": secrets.token_urlsafe(32)}, "HELPDESK_SERVICE_TOKEN"),
        ({"ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
          "HELPDESK_SERVICE_TOKEN": "local-dev-service-token"}, "HELPDESK_SERVICE_TOKEN"),
        ({"ACTION_SERVER_TOKEN": secrets.token_urlsafe(32), "HELPDESK_URL": "",
          "HELPDESK_SERVICE_TOKEN": secrets.token_urlsafe(32)}, "HELPDESK_URL"),
    ],
)  # fmt: skip
def test_outside_development_unsafe_secrets_refuse_start(env: dict[str, str], named: str) -> None:
    result = start_outside_development(env)
    assert result.returncode != 0
    assert "refuses to start" in result.stderr and named in result.stderr
