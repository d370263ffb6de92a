"""Temporary PostgreSQL databases and Redis logical databases for integration tests.

Tests use the real servers (PostgreSQL on 127.0.0.1:5432 with trust auth, Redis on
127.0.0.1:6379), each creating and dropping its own uniquely named database.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator

import psycopg2
import psycopg2.extensions


def postgres_admin_dsn() -> str:
    return os.environ.get(
        "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def _admin_connection() -> psycopg2.extensions.connection:
    connection = psycopg2.connect(postgres_admin_dsn())
    connection.autocommit = True
    return connection


@contextmanager
def temporary_postgres_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """Create a fresh database, yield its URL, then drop it (closing leftover sessions).

    With `template` (the name of a database nobody is connected to), the new one starts as a
    copy of it: PostgreSQL copies its files, far faster than running the migrations again."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            copy_of = f' TEMPLATE "{template}"' if template else ""
            cursor.execute(f'CREATE DATABASE "{name}"{copy_of}')
        base = postgres_admin_dsn().rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def database_name(url: str) -> str:
    """The database a PostgreSQL URL points at."""
    return url.rsplit("/", 1)[1]
