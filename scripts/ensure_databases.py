"""Create the production configuration's PostgreSQL databases if they are missing.

`make run-prod` (scripts/run-stack.sh) calls this before starting anything: the help desk's
database (`DATABASE_URL`, when it is a PostgreSQL URL; the help desk migrates it itself) and
Rasa's tracker database (`TRACKER_DB_HOST`, `TRACKER_DB_PORT`, `TRACKER_DB_NAME`,
`TRACKER_DB_USER`, `TRACKER_DB_PASSWORD`, as endpoints.production.yml reads them; Rasa creates
its tables itself). Existing databases are left alone.

    python -m scripts.ensure_databases
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

MAINTENANCE_DATABASE = "postgres"


@dataclass(frozen=True)
class Database:
    host: str
    port: int
    name: str
    user: str
    password: str


def tracker_database(env: Mapping[str, str]) -> Database | None:
    if not env.get("TRACKER_DB_NAME"):
        return None
    return Database(
        host=env.get("TRACKER_DB_HOST") or "127.0.0.1",
        port=int(env.get("TRACKER_DB_PORT") or 5432),
        name=env["TRACKER_DB_NAME"],
        user=env.get("TRACKER_DB_USER") or "postgres",
        password=env.get("TRACKER_DB_PASSWORD") or "",
    )


def helpdesk_database(env: Mapping[str, str]) -> Database | None:
    from sqlalchemy.engine import make_url

    raw = env.get("DATABASE_URL") or ""
    if not raw.startswith(("postgres://", "postgresql")):
        return None
    url = make_url(raw.replace("postgres://", "postgresql://", 1))
    return Database(
        host=url.host or "127.0.0.1",
        port=int(url.port or 5432),
        name=str(url.database),
        user=url.username or "postgres",
        password=url.password or "",
    )


def ensure(database: Database) -> bool:
    """Create `database` unless it exists; True when it was created."""
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(
        host=database.host,
        port=database.port,
        user=database.user,
        password=database.password or None,
        dbname=MAINTENANCE_DATABASE,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database.name,))
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))
            return True
    finally:
        connection.close()


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    for label, database in (
        ("help desk", helpdesk_database(env)),
        ("conversation tracker", tracker_database(env)),
    ):
        if database is None:
            continue
        try:
            created = ensure(database)
        except Exception as error:  # noqa: BLE001 - any failure: say which server and stop
            print(
                f"Cannot reach PostgreSQL at {database.host}:{database.port} as "
                f"{database.user!r} for the {label} database: {error}",
                file=sys.stderr,
            )
            return 1
        state = "created" if created else "exists"
        print(f"{label} database {database.name!r} on {database.host}:{database.port}: {state}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
