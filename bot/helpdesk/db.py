"""Database URLs, engines and migrations."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# aiosqlite logs every statement with its parameters (names, emails, details) at DEBUG: keep
# form answers out of the logs even when someone turns debugging on.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
PRIVATE_FILE_MODE = 0o600


class DatabaseUrlError(ValueError):
    """DATABASE_URL names a database the help desk does not support."""


def _backend(url: str) -> str:
    name = make_url(_normalised(url)).get_backend_name()
    if name in ("sqlite", "postgresql"):
        return name
    raise DatabaseUrlError(
        f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {make_url(url).drivername!r}"
    )


def _normalised(url: str) -> str:
    return "postgresql" + url[len("postgres") :] if url.startswith("postgres://") else url


def async_database_url(url: str) -> str:
    """`sqlite:///var/x.db` -> aiosqlite, `postgresql://...` -> asyncpg."""
    parsed = make_url(_normalised(url))
    driver = "sqlite+aiosqlite" if _backend(url) == "sqlite" else "postgresql+asyncpg"
    return _render(parsed, driver)


def sync_database_url(url: str) -> str:
    """The same database through a synchronous driver (for Alembic and the CLI)."""
    parsed = make_url(_normalised(url))
    driver = "sqlite" if _backend(url) == "sqlite" else "postgresql+psycopg2"
    return _render(parsed, driver)


def _render(parsed: Any, driver: str) -> str:
    rendered: str = parsed.set(drivername=driver).render_as_string(hide_password=False)
    return rendered


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite file (`var/`) if it is missing, and the file itself
    readable by its owner only (mode 0600: it holds customers' personal data). SQLite gives its
    -wal and -shm files the same permissions."""
    parsed = make_url(_normalised(url))
    if _backend(url) == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
        os.chmod(path, PRIVATE_FILE_MODE)


def _use_immediate_transactions(engine: sa.engine.Engine) -> None:
    """SQLite: WAL, a busy timeout, and BEGIN IMMEDIATE so concurrent writers queue, not fail."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.engine.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    ensure_sqlite_directory(url)
    if _backend(url) == "sqlite":
        # Keep connections open between requests (SQLAlchemy 1.4 defaults to none for files).
        engine = create_async_engine(
            async_database_url(url),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            poolclass=sa.pool.AsyncAdaptedQueuePool,
            pool_size=5,
            max_overflow=10,
        )
        _use_immediate_transactions(engine.sync_engine)
        return engine
    # pool_pre_ping: a pooled connection PostgreSQL has cut (pg_terminate_backend, a restart or
    # failover) is noticed at checkout and replaced, instead of failing its next request with a
    # 500 (make bench-faults, issue #15). It costs one round trip per checkout.
    return create_async_engine(
        async_database_url(url), pool_size=10, max_overflow=20, pool_pre_ping=True
    )


def create_sync_engine(url: str) -> sa.engine.Engine:
    ensure_sqlite_directory(url)
    return sa.create_engine(sync_database_url(url), future=True)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = sync_database_url(url)
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`; existing tickets are kept (migrations only add)."""
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), revision)
