"""`make run-prod` creates its PostgreSQL databases when they are missing, and only then."""

from __future__ import annotations

import secrets

import psycopg2
import pytest

from scripts.ensure_databases import Database, ensure, helpdesk_database, main, tracker_database
from tests.support.databases import postgres_admin_dsn

pytestmark = pytest.mark.postgres


def _drop(name: str) -> None:
    connection = psycopg2.connect(postgres_admin_dsn())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def test_both_databases_are_created_once_from_the_environment() -> None:
    tracker, tickets = (f"ensure_{kind}_{secrets.token_hex(4)}" for kind in ("tr", "hd"))
    env = {
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": tracker,
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{tickets}",
    }
    try:
        assert main(env) == 0
        for name in (tracker, tickets):
            assert ensure(Database("127.0.0.1", 5432, name, "postgres", "")) is False
    finally:
        _drop(tracker)
        _drop(tickets)


def test_sqlite_and_missing_settings_mean_nothing_to_create() -> None:
    assert helpdesk_database({"DATABASE_URL": "sqlite:///var/helpdesk.db"}) is None
    assert tracker_database({}) is None
    assert main({"DATABASE_URL": "sqlite:///var/helpdesk.db"}) == 0
