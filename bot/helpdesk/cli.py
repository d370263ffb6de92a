"""`helpdesk serve | migrate | purge | create-staff | reset-password | revoke-sessions |
disable-staff | enable-staff | totp-enrol | totp-disable | gen-secrets`: run, upgrade and
administer the help desk."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from bot.helpdesk import services
from bot.helpdesk.conversations import SqlConversationStore
from bot.helpdesk.db import create_engine, migrate
from bot.helpdesk.repository import AlreadyStored, SqlStaffRepository, SqlTicketRepository
from bot.helpdesk.settings import Settings, SettingsError
from bot.helpdesk.totp import SecretBox

if TYPE_CHECKING:
    from bot.site.settings import SiteSettings

T = TypeVar("T")

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpdesk", description="Personal Information Protection Help Desk"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database if needed, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (each with its own database pool)",
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    for name in ("purge", "purge-conversations"):  # the second: its name before tickets too
        commands.add_parser(
            name,
            help="delete chat conversations older than CONVERSATION_RETENTION_DAYS (keeps those "
            "with a request in progress) and remove the requester's details from tickets closed "
            "for longer than TICKET_RETENTION_DAYS",
        )
    staff = commands.add_parser("create-staff", help="create a staff account for the console")
    staff.add_argument("--username", required=True)
    staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    reset = commands.add_parser(
        "reset-password", help="set a new password for a staff account and close its sessions"
    )
    reset.add_argument("--username", required=True)
    reset.add_argument("--password-stdin", action="store_true")
    revoke = commands.add_parser("revoke-sessions", help="close every session of a staff account")
    revoke.add_argument("--username", required=True)
    for name, text in ACCOUNT_COMMANDS.items():
        commands.add_parser(name, help=text).add_argument("--username", required=True)
    commands.add_parser(
        "gen-secrets", help="print fresh secrets for production (as environment variables)"
    )
    return parser


ACCOUNT_COMMANDS = {
    "disable-staff": "refuse a staff account's logins and close its sessions",
    "enable-staff": "let a disabled staff account log in again",
    "totp-enrol": "give a staff account a TOTP second factor (prints its secret once)",
    "totp-disable": "remove a staff account's TOTP second factor",
}

SECRET_VARIABLES = (
    "HELPDESK_SERVICE_TOKEN",
    "HELPDESK_SECRET_KEY",
    "ACTION_SERVER_TOKEN",
    "TRACKER_ENCRYPTION_KEY",
)


def gen_secrets() -> int:
    """Fresh values (32 random bytes each) for every secret production must set."""
    for name in SECRET_VARIABLES:
        print(f"{name}={secrets.token_urlsafe(32)}")
    print("HELPDESK_SECURE_COOKIES=true")
    return 0


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


async def _purge(
    settings: Settings,
) -> tuple[services.PurgeReport, services.TicketRetentionReport]:
    engine = create_engine(settings.database_url)
    conversations = SqlConversationStore.from_url(settings.tracker_store_url)
    tickets = SqlTicketRepository(engine)
    try:
        purged = await services.purge_conversations(
            tickets, conversations, settings.conversation_retention_days
        )
        trimmed = await services.remove_personal_data_of_closed_tickets(
            tickets, settings.ticket_retention_days
        )
        return purged, trimmed
    finally:
        await conversations.dispose()
        await engine.dispose()


def purge(settings: Settings) -> int:
    """Apply both retention periods (conversations, closed tickets) and say what changed."""
    migrate(settings.database_url)
    report, tickets = asyncio.run(_purge(settings))
    print(
        f"Deleted {len(report.deleted)} conversation(s) ({report.events} events) with no "
        f"message since {report.cutoff:%Y-%m-%d %H:%M} UTC "
        f"(retention {settings.conversation_retention_days} days); "
        f"kept {len(report.kept)} with a request in progress."
    )
    for sender_id, count in sorted(report.deleted.items()):
        print(f"  deleted {sender_id}: {count} events")
    print(
        f"Removed the requester's details from {len(tickets.trimmed)} ticket(s) closed and "
        f"unchanged since {tickets.cutoff:%Y-%m-%d %H:%M} UTC "
        f"(retention {settings.ticket_retention_days} days)."
    )
    for reference in tickets.trimmed:
        print(f"  trimmed {reference}")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise SystemExit("The passwords differ; nothing was created.")
    return first


async def _with_staff(database_url: str, use: Callable[[SqlStaffRepository], Awaitable[T]]) -> T:
    engine = create_engine(database_url)
    try:
        return await use(SqlStaffRepository(engine))
    finally:
        await engine.dispose()


def reset_password(settings: Settings, username: str, from_stdin: bool) -> int:
    password = _read_password(from_stdin)
    problem = services.password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    migrate(settings.database_url)
    reset = services.reset_password
    if not asyncio.run(_with_staff(settings.database_url, lambda s: reset(s, username, password))):
        print(f"No staff account named {username!r}.", file=sys.stderr)
        return 1
    print(f"New password set for {username!r}; their sessions are closed.")
    return 0


def revoke_sessions(settings: Settings, username: str) -> int:
    migrate(settings.database_url)
    revoke = services.revoke_sessions
    closed = asyncio.run(_with_staff(settings.database_url, lambda s: revoke(s, username)))
    print(f"Closed {closed} session(s) of {username!r}.")
    return 0


def account_command(settings: Settings, command: str, username: str) -> int:
    """disable-staff, enable-staff, totp-enrol or totp-disable for one account."""
    migrate(settings.database_url)
    url = settings.database_url
    if command == "disable-staff":
        closed = asyncio.run(_with_staff(url, lambda s: services.disable_staff(s, username)))
        done = closed is not None
        message = f"Disabled {username!r}; closed {closed} session(s)."
    elif command == "enable-staff":
        done = asyncio.run(_with_staff(url, lambda s: services.enable_staff(s, username)))
        message = f"{username!r} can log in again."
    elif command == "totp-disable":
        done = asyncio.run(_with_staff(url, lambda s: services.disable_totp(s, username)))
        message = f"{username!r} logs in with the password alone now."
    else:
        box = SecretBox(settings.secret_key)
        enrolment = asyncio.run(_with_staff(url, lambda s: services.enrol_totp(s, box, username)))
        done = enrolment is not None
        message = (
            f"TOTP enrolled for {username!r}. Add it to the authenticator app now; "
            "it is not shown again.\n"
            f"  secret: {enrolment.secret}\n  URI:    {enrolment.uri}"
            if enrolment
            else ""
        )
    if not done:
        print(f"No staff account named {username!r}.", file=sys.stderr)
        return 1
    print(message)
    return 0


def create_staff(settings: Settings, username: str, from_stdin: bool) -> int:
    if not USERNAME.match(username):
        print("Usernames are 1-100 letters, digits, or . _ @ -", file=sys.stderr)
        return 2
    password = _read_password(from_stdin)
    problem = services.password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    migrate(settings.database_url)
    try:
        asyncio.run(_add_staff(settings.database_url, username, password))
    except AlreadyStored:
        print(f"A staff account named {username!r} already exists.", file=sys.stderr)
        return 1
    print(f"Created staff account {username!r}.")
    return 0


def serve(settings: Settings, site: SiteSettings, host: str, port: int, workers: int = 1) -> int:
    """Migrate once, then serve with `workers` processes (Sanic forks them after migrating).

    Everything a ticket needs is in the database, so any worker can answer any request. The
    rate limiters (bot/helpdesk/ratelimit.py) are per process: with N workers each one
    counts only the requests it sees, so a limit admits up to N times its figure.
    """
    from bot.helpdesk.app import create_app

    if workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    print(f"Staff console: http://{shown_host}:{port}/helpdesk", flush=True)
    if asyncio.run(_count_staff(settings.database_url)) == 0:
        print(
            "No staff account exists yet. Create the first one with:\n"
            "  .venv/bin/helpdesk create-staff --username <your-name>",
            flush=True,
        )
    create_app(settings, site).run(
        host=host, port=port, workers=workers, access_log=False, motd=False
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "gen-secrets":
        return gen_secrets()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"The help desk refuses to start: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate(settings.database_url)
        print("The help desk database is up to date.")
        return 0
    if args.command in ("purge", "purge-conversations"):
        return purge(settings)
    if args.command == "create-staff":
        return create_staff(settings, args.username, args.password_stdin)
    if args.command == "reset-password":
        return reset_password(settings, args.username, args.password_stdin)
    if args.command == "revoke-sessions":
        return revoke_sessions(settings, args.username)
    if args.command in ACCOUNT_COMMANDS:
        return account_command(settings, args.command, args.username)
    from bot.site.settings import SiteSettings  # the web app is only loaded to serve it

    return serve(settings, SiteSettings.from_env(), args.host, args.port, args.workers)


if __name__ == "__main__":
    sys.exit(main())
