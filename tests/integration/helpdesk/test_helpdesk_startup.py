"""Outside development the help desk refuses to start without safe secrets (issue #13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings_env import MIN_SECRET_LENGTH
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
STRONG = "s" * MIN_SECRET_LENGTH
SECRETS = ("HELPDESK_ENV", "HELPDESK_SERVICE_TOKEN", "HELPDESK_SECRET_KEY",
           "HELPDESK_SECURE_COOKIES")  # fmt: skip


# Where things are: required outside development too, and not what these tests are about.
ADDRESSES = {"TRACKER_STORE_URL": "sqlite:///var/unused-tracker.db",
             "HELPDESK_PUBLIC_URL": "https://privacy.example.com", "SMTP_HOST": "localhost",
             "HELPDESK_MAIL_TO": "desk@example.com"}  # fmt: skip


def helpdesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [sys.executable, "-m", "bot.helpdesk.cli", *args],
        env={**base, **env}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "HELPDESK_SERVICE_TOKEN"),
        ({"HELPDESK_SERVICE_TOKEN": STRONG}, "HELPDESK_SECRET_KEY"),
        ({"HELPDESK_SERVICE_TOKEN": "local-dev-service-token", "HELPDESK_SECRET_KEY": STRONG,
          "HELPDESK_SECURE_COOKIES": "true"}, "HELPDESK_SERVICE_TOKEN"),
        ({"HELPDESK_SERVICE_TOKEN": STRONG, "HELPDESK_SECRET_KEY": STRONG},
         "HELPDESK_SECURE_COOKIES"),
    ],
)  # fmt: skip
def test_serve_refuses_to_start_naming_the_variable(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    env = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", **ADDRESSES}
    result = helpdesk("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 2
    assert "refuses to start" in result.stderr and named in result.stderr


def test_gen_secrets_prints_fresh_values_that_pass_the_checks() -> None:
    first = helpdesk("gen-secrets", env={}).stdout
    second = helpdesk("gen-secrets", env={}).stdout
    values = dict(line.split("=", 1) for line in first.splitlines())
    assert first != second
    assert values["HELPDESK_SECURE_COOKIES"] == "true"
    for name in ("HELPDESK_SERVICE_TOKEN", "HELPDESK_SECRET_KEY", "ACTION_SERVER_TOKEN"):
        assert len(values[name]) >= MIN_SECRET_LENGTH
