"""Fixtures for the help desk on real databases: every API test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sanic import Sanic

from bot.helpdesk import services
from bot.helpdesk.app import create_app
from bot.helpdesk.db import create_engine, migrate
from bot.helpdesk.repository import SqlStaffRepository
from bot.helpdesk.settings import Settings
from tests.support.databases import database_name, temporary_postgres_database
from tests.support.mail import SmtpServer
from tests.support.mail import smtp_server as local_smtp_server

Sanic.test_mode = True  # a fresh app per test under the same name

SERVICE_TOKEN = "test-service-token"
STAFF_USER = "alice"
STAFF_PASSWORD = "correct horse battery"


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'helpdesk.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A help desk database on SQLite with every migration run, to copy for each test."""
    directory = tmp_path_factory.mktemp("migrated-sqlite")
    migrate(sqlite_url(directory))
    return directory / "helpdesk.db"


@pytest.fixture(scope="session")
def migrated_postgres_database() -> Iterator[str]:
    """The name of a PostgreSQL database with every migration run, the template of each test's."""
    with temporary_postgres_database("helpdesk_template") as url:
        migrate(url)
        yield database_name(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, fully migrated help desk database of each kind: a copy of one migrated once per
    session (the migrations themselves are tested in test_helpdesk_migrations.py)."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), tmp_path / "helpdesk.db")
        yield sqlite_url(tmp_path)
    else:
        template = request.getfixturevalue("migrated_postgres_database")
        with temporary_postgres_database("helpdesk_test", template=template) as url:
            yield url


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with local_smtp_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, smtp_server: SmtpServer) -> Settings:
    return Settings(
        database_url=database_url,
        service_token=SERVICE_TOKEN,
        secret_key=secrets.token_hex(16),
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        mail_timeout_seconds=5,
        # Tests open many tickets from one conversation; the caps have their own tests.
        tickets_per_conversation_per_day=1000,
        tickets_per_email_per_day=1000,
    )


async def add_staff(database_url: str, username: str = STAFF_USER) -> None:
    engine = create_engine(database_url)
    try:
        await services.add_staff(SqlStaffRepository(engine), username, STAFF_PASSWORD)
    finally:
        await engine.dispose()


@pytest.fixture
async def app(settings: Settings) -> Sanic:
    await add_staff(settings.database_url)
    return create_app(settings)


@pytest.fixture
def client(app: Sanic) -> Any:
    return app.asgi_client


SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def ticket_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "erasure",
        "requester_name": "Jane Doe",
        "email": "jane@example.com",
        "phone": None,
        "membership_id": None,
        "service": "CASIO Music Site",
        "details": "Please delete my account and everything you hold about me.",
        "origin": "chat",
        "conversation_id": "5f1c0a",
        "conversation_excerpt": [
            {"sender": "customer", "text": "delete my data", "timestamp": "2026-11-25T10:00:00Z"},
            {"sender": "bot", "text": "I can open an erasure request", "timestamp": None},
        ],
    }
    body.update(overrides)
    return body


def creation_headers(key: str | None = None) -> dict[str, str]:
    return {**SERVICE, "Idempotency-Key": key or secrets.token_hex(8)}


async def open_ticket(client: Any, **overrides: Any) -> dict[str, Any]:
    _, resp = await client.post(
        "/api/v1/tickets", json=ticket_body(**overrides), headers=creation_headers()
    )
    assert resp.status == 201, resp.text
    ticket: dict[str, Any] = resp.json
    return ticket


async def open_staff_ticket(client: Any, **overrides: Any) -> dict[str, Any]:
    """A ticket that starts as `new`, as staff open one (a chat ticket waits in identity_check
    for its emailed code): for tests of the staff workflow."""
    return await open_ticket(client, origin="console", **overrides)


async def staff_headers(client: Any) -> dict[str, str]:
    _, resp = await client.post(
        "/api/v1/staff/sessions", json={"username": STAFF_USER, "password": STAFF_PASSWORD}
    )
    assert resp.status == 201, resp.text
    return {"Authorization": f"Bearer {resp.json['token']}"}


@pytest.fixture
async def staff(client: Any) -> dict[str, str]:
    return await staff_headers(client)


async def console_login(client: Any) -> None:
    """Log in through the console form (the client keeps the cookies)."""
    import re

    _, page = await client.get("/helpdesk/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    _, resp = await client.post(
        "/helpdesk/login",
        data={"csrf_token": token.group(1), "username": STAFF_USER, "password": STAFF_PASSWORD},
        follow_redirects=False,
    )
    assert resp.status == 303, resp.text


def csrf_of(page_html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match is not None
    return match.group(1)


@pytest.fixture
async def logged_in_client(client: Any) -> AsyncIterator[Any]:
    await console_login(client)
    yield client
