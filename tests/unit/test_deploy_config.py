"""The deployment files agree: Compose, endpoints.production.yml and run-stack.sh."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RUN_STACK = (ROOT / "scripts" / "run-stack.sh").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())
    return loaded


def service(name: str) -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"][name]
    return found


def endpoint_variables() -> set[str]:
    lines = (ROOT / "endpoints.production.yml").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line.split("#", 1)[0] for line in lines)
    return set(re.findall(r"\$\{(\w+)\}", text))


def run_stack_default(variable: str) -> str | None:
    match = re.search(rf"{variable}=\$\{{{variable}:-([^}}]*)\}}", RUN_STACK)
    return match.group(1) if match else None


def test_every_endpoint_variable_is_set_by_compose_and_by_run_prod() -> None:
    rasa_env = service("rasa")["environment"]
    for variable in endpoint_variables():
        assert variable in rasa_env, f"compose's rasa service does not set {variable}"
        assert run_stack_default(variable) is not None, f"run-stack.sh has no default {variable}"


def test_both_use_the_same_database_names_and_redis_db() -> None:
    rasa_env = service("rasa")["environment"]
    for variable in ("TRACKER_DB_NAME", "REDIS_DB", "TRACKER_DB_PORT", "REDIS_PORT"):
        assert str(rasa_env[variable]) == run_stack_default(variable), variable
    init_sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    assert f"CREATE DATABASE {rasa_env['TRACKER_DB_NAME']}" in init_sql
    helpdesk_db = str(run_stack_default("DATABASE_URL")).rsplit("/", 1)[1]
    assert service("helpdesk")["environment"]["DATABASE_URL"].endswith(f"/{helpdesk_db}")
    assert service("postgres")["environment"]["POSTGRES_DB"] == helpdesk_db


def test_each_program_gets_the_worker_variable_it_reads() -> None:
    assert "endpoints.production.yml" in service("rasa")["command"]
    assert service("rasa")["command"][:3] == ["python", "-m", "bot.rasa_runtime"]  # as run-stack
    assert "-m bot.rasa_runtime run" in RUN_STACK
    assert int(service("rasa")["environment"]["SANIC_WORKERS"]) > 1
    actions_command = service("actions")["command"]
    assert actions_command[:3] == ["python", "-m", "actions.server"]  # behind X-Action-Token
    assert int(actions_command[actions_command.index("--workers") + 1]) > 1
    assert "--workers" in service("helpdesk")["command"]
    actions_line = '-m actions.server --host 127.0.0.1 --port "$ACTIONS_PORT" --workers "$WORKERS"'
    assert actions_line in RUN_STACK
    assert 'SANIC_WORKERS="$WORKERS"' in RUN_STACK
    assert '--workers "$WORKERS"' in RUN_STACK


def test_every_scaled_service_runs_more_than_one_replica() -> None:
    for name in ("rasa", "actions", "helpdesk"):
        assert service(name)["deploy"]["replicas"] > 1, name


def test_the_production_lock_store_is_the_atomic_one_with_a_prefix_rasa_accepts() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.production.yml").read_text())
    lock_store = endpoints["lock_store"]
    assert lock_store["type"] == "bot.stores.lock_store.AtomicRedisLockStore"
    tracker_store = endpoints["tracker_store"]
    assert tracker_store["type"] == "bot.stores.encrypted_tracker_store.EncryptedSQLTrackerStore"
    assert tracker_store["dialect"] == "postgresql"
    assert str(lock_store["key_prefix"]).isalnum()  # Rasa drops any other prefix


def test_make_run_binds_every_server_to_loopback_unless_told_otherwise() -> None:
    """Rasa listens on RASA_INTERFACE (default 127.0.0.1); actions and help desk on 127.0.0.1."""
    assert run_stack_default("RASA_INTERFACE") == "127.0.0.1"
    rasa_line = next(line for line in RUN_STACK.splitlines() if "--credentials" in line)
    assert '--interface "$RASA_INTERFACE"' in rasa_line
    assert "-m actions.server --host 127.0.0.1" in RUN_STACK
    assert "serve --host 127.0.0.1" in RUN_STACK


def test_both_endpoints_files_encrypt_and_compose_passes_rasa_the_key() -> None:
    for name in ("endpoints.yml", "endpoints.production.yml"):
        tracker_store = yaml.safe_load((ROOT / name).read_text())["tracker_store"]
        assert tracker_store["type"].endswith("EncryptedSQLTrackerStore"), name
    assert "TRACKER_ENCRYPTION_KEY" in service("rasa")["environment"]
    assert "TRACKER_ENCRYPTION_KEY" in (ROOT / "deploy" / "example.env").read_text()


def test_compose_points_the_help_desk_at_rasas_conversations_and_purges_daily() -> None:
    """Retention and erasure delete conversations where Rasa keeps them, not in a local file."""
    rasa_env, helpdesk_env = service("rasa")["environment"], service("helpdesk")["environment"]
    tracker_url = helpdesk_env["TRACKER_STORE_URL"]
    assert tracker_url.startswith("postgresql://")
    assert tracker_url.endswith(
        f"@{rasa_env['TRACKER_DB_HOST']}:5432/{rasa_env['TRACKER_DB_NAME']}"
    )
    purge = service("purge")
    assert purge["environment"] == helpdesk_env
    assert "helpdesk purge" in " ".join(purge["command"]) and "sleep 86400" in purge["command"][-1]
