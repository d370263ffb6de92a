"""Migrations build the schema from nothing, match the tables module, and keep data."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.helpdesk import cli, tables
from bot.helpdesk.db import create_sync_engine, migrate
from bot.helpdesk.ratelimit import memory_limit
from tests.integration.helpdesk.conftest import sqlite_url
from tests.support.databases import temporary_postgres_database


def _schema_differences(url: str) -> list[Any]:
    engine = create_sync_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    engine.dispose()
    return list(diff)


@pytest.mark.postgres
def test_migrations_from_empty_postgres_match_the_tables() -> None:
    with temporary_postgres_database("helpdesk_migrate") as url:
        migrate(url)
        assert _schema_differences(url) == []
        migrate(url)  # a second run is a no-op


def test_migrations_create_the_sqlite_file_and_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"
    migrate(url)
    assert (tmp_path / "var" / "helpdesk.db").exists()
    assert _schema_differences(url) == []


def test_running_migrations_again_keeps_existing_tickets(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    migrate(url)
    engine = create_sync_engine(url)
    now = sa.func.current_timestamp()
    with engine.begin() as conn:
        conn.execute(
            tables.tickets.insert().values(
                reference="PR-2222-3333", type="inquiry", status="new", requester_name="A",
                email="a@example.com", details="d", origin="chat", conversation_excerpt=[],
                created_at=now, updated_at=now, due_at=now,
            )
        )  # fmt: skip
    migrate(url)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(tables.tickets)) == 1
    engine.dispose()


def test_cli_migrate_and_create_staff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    assert cli.main(["migrate"]) == 0

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["create-staff", "--username", "carol", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert cli.main(["create-staff", "--username", "carol", "--password-stdin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["create-staff", "--username", "dave", "--password-stdin"]) == 2

    err = capsys.readouterr().err
    assert "already exists" in err and "at least 12 characters" in err
    engine = create_sync_engine(sqlite_url(tmp_path))
    with engine.connect() as conn:
        hashes = conn.execute(sa.select(tables.staff_users.c.password_hash)).scalars().all()
    engine.dispose()
    assert len(hashes) == 1 and hashes[0].startswith("$argon2")


def test_cli_refuses_common_passwords_resets_and_revokes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("Password1234\n"))
    assert cli.main(["create-staff", "--username", "erin", "--password-stdin"]) == 2
    assert "common or breached" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["create-staff", "--username", "erin", "--password-stdin"]) == 0

    from bot.helpdesk import services
    from bot.helpdesk.db import create_engine
    from bot.helpdesk.repository import SqlStaffRepository

    async def login(password: str) -> services.OpenedSession:
        engine = create_engine(sqlite_url(tmp_path))
        try:
            limits = services.LoginLimits(
                memory_limit("ip", 99, 60), memory_limit("account", 99, 60)
            )
            return await services.login(
                SqlStaffRepository(engine), limits, "erin", password, "ip",
                services.SessionLifetime(),
            )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(login("a long enough password"))
    assert cli.main(["revoke-sessions", "--username", "erin"]) == 0
    assert "Closed 1 session" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase\n"))
    assert cli.main(["reset-password", "--username", "erin", "--password-stdin"]) == 0
    with pytest.raises(services.LoginRefused):
        asyncio.run(login("a long enough password"))
    assert asyncio.run(login("a brand new passphrase")).token
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase\n"))
    assert cli.main(["reset-password", "--username", "nobody", "--password-stdin"]) == 1


def _staff_columns(url: str) -> set[str]:
    engine = create_sync_engine(url)
    try:
        return {column["name"] for column in sa.inspect(engine).get_columns("staff_users")}
    finally:
        engine.dispose()


def _upgrade_downgrade_and_upgrade_0003(url: str) -> None:
    """0003 adds the disable and TOTP columns to staff_users, its downgrade removes them, and
    an account made before 0003 survives the round trip."""
    from alembic import command

    from bot.helpdesk.db import alembic_config

    added = {"disabled_at", "totp_secret", "totp_last_step"}
    migrate(url, "0002")
    engine = create_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(
            tables.staff_users.insert().values(
                username="fay", password_hash="$argon2id$x", created_at=sa.func.current_timestamp()
            )
        )
    engine.dispose()
    assert not added & _staff_columns(url)
    migrate(url)
    assert added <= _staff_columns(url)
    assert _schema_differences(url) == []
    command.downgrade(alembic_config(url), "0002")
    assert not added & _staff_columns(url)
    migrate(url)
    engine = create_sync_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tables.staff_users)).one()
    engine.dispose()
    assert (row.username, row.disabled_at, row.totp_secret) == ("fay", None, None)


def test_migration_0003_upgrades_and_downgrades_on_sqlite(tmp_path: Path) -> None:
    _upgrade_downgrade_and_upgrade_0003(sqlite_url(tmp_path))


@pytest.mark.postgres
def test_migration_0003_upgrades_and_downgrades_on_postgres() -> None:
    with temporary_postgres_database("helpdesk_0003") as url:
        _upgrade_downgrade_and_upgrade_0003(url)
