"""The whole stack for end-to-end tests, in its production configuration.

One session-wide stack: the help desk (tickets in a fresh PostgreSQL database, mail to an
in-process SMTP server), the action server, and Rasa with `endpoints.production.yml`
(conversations in another fresh PostgreSQL database, locks in Redis). Each process gets
a free port on 127.0.0.1; everything is stopped and dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import temporary_postgres_database
from tests.support.mail import Mailbox, smtp_server
from tests.support.ports import free_port
from tests.support.processes import ServerProcess, start_server

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
MODEL = Path(os.environ.get("PRIVACY_MODEL", ROOT / "models" / "policy-assistant.tar.gz"))
ARTIFACTS = ROOT / "test-artifacts"
LOGS = ARTIFACTS / "logs"
REDIS_TEST_DB = 7


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    helpdesk_url: str
    helpdesk_database_url: str
    tracker_database_url: str
    service_token: str
    staff_username: str
    staff_password: str
    mailbox: Mailbox
    # What a second `rasa run` needs to share this stack's tracker store, lock store and actions
    rasa_env: dict[str, str]


def _flush_redis_test_db() -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_TEST_DB).flushdb()


def _run(name: str, *args: str, env: dict[str, str], stdin: str = "") -> None:
    subprocess.run(
        [str(BIN / name), *args],
        input=stdin.encode(),
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def _serve(name: str, *args: str, env: dict[str, str]) -> ServerProcess:
    return start_server(name, [str(BIN / args[0]), *args[1:]], env, LOGS, ROOT)


def _rasa_production_env(tracker_database_url: str, actions_port: int) -> dict[str, str]:
    """Fill in endpoints.production.yml's variables: PostgreSQL tracker store, Redis locks."""
    return {
        "RASA_TELEMETRY_ENABLED": "false",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": tracker_database_url.rsplit("/", 1)[1],
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": str(REDIS_TEST_DB),
        # as in production: a real key, not the development default (bot/stores/sealing.py)
        "TRACKER_ENCRYPTION_KEY": secrets.token_urlsafe(32),
    }


def start_rasa(name: str, port: int, env: dict[str, str]) -> ServerProcess:
    """`rasa run` (as `make run` starts it: bot/rasa_runtime.py) with endpoints.production.yml."""
    return _serve(
        name, "python", "-m", "bot.rasa_runtime", "run", "--model", str(MODEL),
        "--endpoints", "endpoints.production.yml", "--credentials", "credentials.yml",
        "--cors", "*", "--interface", "127.0.0.1", "--port", str(port), env=env,
    )  # fmt: skip


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make train` first")
    token = secrets.token_urlsafe(32)
    action_token = secrets.token_urlsafe(32)
    staff_password = secrets.token_urlsafe(12)
    port = {name: free_port() for name in ("rasa", "actions", "helpdesk")}

    with ExitStack() as cleanup:
        smtp = cleanup.enter_context(smtp_server())
        port["smtp"] = smtp.port
        tickets_db = cleanup.enter_context(temporary_postgres_database("e2e_tickets"))
        tracker_db = cleanup.enter_context(temporary_postgres_database("e2e_tracker"))
        _flush_redis_test_db()
        cleanup.callback(_flush_redis_test_db)

        helpdesk_env = {
            "DATABASE_URL": tickets_db,
            "HELPDESK_SERVICE_TOKEN": token,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port["smtp"]),
            "RASA_URL": f"http://127.0.0.1:{port['rasa']}",
            "HELPDESK_ENV": "development",  # plain-HTTP cookies for the browser tests
            "TRACKER_STORE_URL": tracker_db,
        }
        _run("helpdesk", "migrate", env=helpdesk_env)
        _run(
            "helpdesk", "create-staff", "--username", "e2e-staff", "--password-stdin",
            env=helpdesk_env, stdin=staff_password,
        )  # fmt: skip
        helpdesk = _serve(
            "helpdesk", "helpdesk", "serve", "--host", "127.0.0.1", "--port", str(port["helpdesk"]),
            env=helpdesk_env,
        )  # fmt: skip
        cleanup.callback(helpdesk.stop)
        actions = _serve(
            "actions", "python", "-m", "actions.server", "--port", str(port["actions"]),
            env={
                "HELPDESK_URL": f"http://127.0.0.1:{port['helpdesk']}",
                "HELPDESK_SERVICE_TOKEN": token,
                "ACTION_SERVER_TOKEN": action_token,
            },
        )  # fmt: skip
        cleanup.callback(actions.stop)
        rasa_env = {
            **_rasa_production_env(tracker_db, port["actions"]),
            "ACTION_SERVER_TOKEN": action_token,
        }
        rasa = start_rasa("rasa", port["rasa"], rasa_env)
        cleanup.callback(rasa.stop)

        helpdesk.wait_until_answering(f"http://127.0.0.1:{port['helpdesk']}/helpdesk/login", 60)
        actions.wait_until_answering(f"http://127.0.0.1:{port['actions']}/health", 90)
        rasa.wait_until_answering(f"http://127.0.0.1:{port['rasa']}/", 300)

        yield Stack(
            rasa_url=f"http://127.0.0.1:{port['rasa']}",
            helpdesk_url=f"http://127.0.0.1:{port['helpdesk']}",
            helpdesk_database_url=tickets_db,
            tracker_database_url=tracker_db,
            service_token=token,
            staff_username="e2e-staff",
            staff_password=staff_password,
            mailbox=smtp.mailbox,
            rasa_env=rasa_env,
        )
