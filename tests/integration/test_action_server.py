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

from actions.domain import load_domain
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


def call_webhook(base: str, call: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}/webhook",
        data=json.dumps(call).encode(),
        headers={"Content-Type": "application/json", ACTION_TOKEN_HEADER: TOKEN},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.loads(response.read())
    return answer


def unsure_call(**domain: object) -> dict[str, object]:
    """Rasa's call after an unsure answer: the fallback offers the closest topics."""
    ranking = [
        {"intent_response_key": f"faq/{topic}", "confidence": 0.3}
        for topic in ("cookies_purpose", "joint_use_group")
    ]
    latest = {
        "text": "those cookie things and group firms?",
        "intent": {"name": "nlu_fallback"},
        "intent_ranking": [],
        "response_selector": {"faq": {"ranking": ranking}},
    }
    tracker = {**FORGED_CALL["tracker"], "sender_id": "customer", "latest_message": latest}  # type: ignore[dict-item]
    return {**FORGED_CALL, "sender_id": "customer", "tracker": tracker, **domain}  # fmt: skip


def test_a_call_without_the_domain_gets_the_servers_copy(action_server: str) -> None:
    """Rasa sends no domain (enable_selective_domain): the answer is the one it would get
    with the domain of this checkout."""
    call = unsure_call()
    del call["domain"]
    without = call_webhook(action_server, call)
    with_it = call_webhook(action_server, unsure_call(domain=load_domain(ROOT / "domain.yml")))
    assert without == with_it
    titles = [b["title"] for b in without["responses"][0]["buttons"]]  # type: ignore[index]
    assert len(titles) >= 3  # two topics and the Help Desk, from the domain's buttons


def test_a_domain_sent_with_the_call_is_the_one_used(action_server: str) -> None:
    empty = call_webhook(action_server, unsure_call())  # FORGED_CALL's empty domain
    assert empty["responses"][0]["buttons"] == []  # type: ignore[index]


def test_rasa_sends_the_action_server_no_domain() -> None:
    import yaml
    from rasa.shared.core.domain import Domain

    for name in ("endpoints.yml", "endpoints.production.yml"):
        endpoints = yaml.safe_load((ROOT / name).read_text("utf-8"))
        assert endpoints["action_endpoint"]["enable_selective_domain"] is True, name
    domain = Domain.load(str(ROOT / "domain.yml"))
    assert "validate_privacy_request_form" in domain.user_actions
    assert [
        a for a in domain.user_actions if domain.does_custom_action_explicitly_need_domain(a)
    ] == []


def test_without_a_domain_file_the_server_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", str(free_port()),
         "--domain", str(tmp_path / "missing.yml")],
        env={**os.environ, "HELPDESK_ENV": "development", "ACTION_SERVER_TOKEN": TOKEN},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "refuses to start" in result.stderr and "missing.yml" in result.stderr


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
