"""`helpdesk serve | migrate | create-staff`: run, upgrade and administer the help desk."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from typing import TYPE_CHECKING

from bot.helpdesk import services
from bot.helpdesk.conversations import SqlConversationStore
from bot.helpdesk.db import create_engine, migrate
from bot.helpdesk.repository import AlreadyStored, SqlStaffRepository, SqlTicketRepository
from bot.helpdesk.settings import Settings

if TYPE_CHECKING:
    from bot.site.settings import SiteSettings

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
MIN_PASSWORD_LENGTH = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpdesk", description="Personal Information Protection Help Desk"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database if needed, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser(
        "purge-conversations",
        help="delete chat conversations older than CONVERSATION_RETENTION_DAYS "
        "(keeps those with a request in progress)",
    )
    staff = commands.add_parser("create-staff", help="create a staff account for the console")
    staff.add_argument("--username", required=True)
    staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    return parser


async def _count_staff(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        return await SqlStaffRepository(engine).count()
    finally:
        await engine.dispose()


async def _add_staff(database_url: str, username: str, password: str) -> None:
    engine = create_engine(database_url)
    try:
        await services.add_staff(SqlStaffRepository(engine), username, password)
    finally:
        await engine.dispose()


async def _purge(settings: Settings) -> services.PurgeReport:
    engine = create_engine(settings.database_url)
    conversations = SqlConversationStore.from_url(settings.tracker_store_url)
    try:
        return await services.purge_conversations(
            SqlTicketRepository(engine), conversations, settings.conversation_retention_days
        )
    finally:
        await conversations.dispose()
        await engine.dispose()


def purge_conversations(settings: Settings) -> int:
    """Apply the retention period to the tracker store and say what was deleted."""
    migrate(settings.database_url)
    report = asyncio.run(_purge(settings))
    print(
        f"Deleted {len(report.deleted)} conversation(s) ({report.events} events) with no "
        f"message since {report.cutoff:%Y-%m-%d %H:%M} UTC "
        f"(retention {settings.conversation_retention_days} days); "
        f"kept {len(report.kept)} with a request in progress."
    )
    for sender_id, count in sorted(report.deleted.items()):
        print(f"  deleted {sender_id}: {count} events")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise SystemExit("The passwords differ; nothing was created.")
    return first


def create_staff(settings: Settings, username: str, from_stdin: bool) -> int:
    if not USERNAME.match(username):
        print("Usernames are 1-100 letters, digits, or . _ @ -", file=sys.stderr)
        return 2
    password = _read_password(from_stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    try:
        asyncio.run(_add_staff(settings.database_url, username, password))
    except AlreadyStored:
        print(f"A staff account named {username!r} already exists.", file=sys.stderr)
        return 1
    print(f"Created staff account {username!r}.")
    return 0


def serve(settings: Settings, site: SiteSettings, host: str, port: int) -> int:
    from bot.helpdesk.app import create_app

    migrate(settings.database_url)
    shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    print(f"Staff console: http://{shown_host}:{port}/helpdesk", flush=True)
    if asyncio.run(_count_staff(settings.database_url)) == 0:
        print(
            "No staff account exists yet. Create the first one with:\n"
            "  .venv/bin/helpdesk create-staff --username <your-name>",
            flush=True,
        )
    create_app(settings, site).run(host=host, port=port, access_log=False, motd=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "migrate":
        migrate(settings.database_url)
        print("The help desk database is up to date.")
        return 0
    if args.command == "purge-conversations":
        return purge_conversations(settings)
    if args.command == "create-staff":
        return create_staff(settings, args.username, args.password_stdin)
    from bot.site.settings import SiteSettings  # the web app is only loaded to serve it

    return serve(settings, SiteSettings.from_env(), args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
