"""The help desk application factory."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from sanic import Sanic

from bot.helpdesk import api, console, security, verify_api, verify_pages
from bot.helpdesk.conversations import ConversationStore, SqlConversationStore
from bot.helpdesk.db import create_engine
from bot.helpdesk.errors import HelpdeskErrorHandler
from bot.helpdesk.invalid_urls import LenientUrlRequest, refuse_invalid_url
from bot.helpdesk.mail import (
    notify_new_ticket,
    schedule_new_ticket_email,
    send_first_verification_code,
    wait_for_pending_emails,
)
from bot.helpdesk.ratelimit import RateLimit, limits_storage
from bot.helpdesk.repository import (
    SqlStaffRepository,
    SqlTicketRepository,
    StaffRepository,
    TicketRepository,
)
from bot.helpdesk.services import LoginLimits, StatusLimits, TicketCaps
from bot.helpdesk.settings import Settings
from bot.helpdesk.totp import SecretBox
from bot.site import SiteSettings, create_site_blueprint

PACKAGE_DIR = Path(__file__).resolve().parent
REQUEST_MAX_SIZE = 1_000_000  # no legitimate ticket comes close to 1 MB


def create_app(
    settings: Settings | None = None,
    site: SiteSettings | None = None,
    *,
    name: str = "helpdesk",
    tickets: TicketRepository | None = None,
    staff: StaffRepository | None = None,
    conversations: ConversationStore | None = None,
) -> Sanic:
    """Build the help desk and the public site from their settings (local defaults if None).

    Nothing is read from the environment here: `helpdesk serve` reads it and passes it in.
    Passing both repositories (unit tests) means no database engine, and no tracker store
    unless `conversations` is given too.
    """
    settings = settings or Settings()
    app = Sanic(name, error_handler=HelpdeskErrorHandler(), request_class=LenientUrlRequest)
    app.add_signal(refuse_invalid_url, "http.lifecycle.request")
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_SIZE
    ctx = app.ctx
    ctx.settings = settings
    ctx.given_repositories = (tickets, staff) if tickets is not None and staff is not None else None
    ctx.given_conversations = conversations
    ctx.templates = Environment(
        loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=True
    )
    storage = limits_storage(settings.redis_url)
    window, day, login_window = (
        settings.status_limit_window_seconds, 86_400, settings.login_limit_window_seconds,
    )  # fmt: skip
    ctx.status_limits = StatusLimits(
        by_conversation=RateLimit(
            "status-conversation", settings.status_limit_per_conversation, window, storage
        ),
        by_email=RateLimit("status-email", settings.status_limit_per_email, window, storage),
    )
    ctx.ticket_caps = TicketCaps(
        by_conversation=RateLimit(
            "tickets-conversation", settings.tickets_per_conversation_per_day, day, storage
        ),
        by_email=RateLimit("tickets-email", settings.tickets_per_email_per_day, day, storage),
    )
    ctx.login_limits = LoginLimits(
        by_client=RateLimit("login-client", settings.login_limit_per_client, login_window, storage),
        by_account=RateLimit("login-account", settings.login_limit, login_window, storage),
    )
    ctx.totp_box = SecretBox(settings.secret_key)
    ctx.verification_limiter = RateLimit(
        "verification",
        settings.verification_limit,
        settings.verification_limit_window_seconds,
        storage,
    )
    ctx.background_tasks = set()
    ctx.notify = notify_new_ticket  # (settings, tickets, ticket); tests replace it
    ctx.send_first_code = send_first_verification_code  # the same; for chat requests
    ctx.notify_created = functools.partial(schedule_new_ticket_email, app)

    app.blueprint(api.bp)
    app.blueprint(console.bp)
    app.blueprint(verify_pages.bp)
    app.blueprint(verify_api.bp)
    app.static("/helpdesk/static", str(PACKAGE_DIR / "static"), name="console_static")
    # The public page with the policy and the chat widget.
    app.blueprint(create_site_blueprint(site or SiteSettings()))

    app.register_middleware(security.on_response, "response")
    app.register_listener(open_database, "before_server_start")
    app.register_listener(close_database, "after_server_stop")
    return app


async def open_database(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    app.ctx.background_tasks = set()
    if app.ctx.given_repositories is not None:
        app.ctx.engine = None
        app.ctx.tickets, app.ctx.staff = app.ctx.given_repositories
        app.ctx.conversations = app.ctx.given_conversations
        return
    engine = create_engine(app.ctx.settings.database_url)
    app.ctx.engine = engine
    app.ctx.tickets = SqlTicketRepository(engine)
    app.ctx.staff = SqlStaffRepository(engine)
    app.ctx.conversations = app.ctx.given_conversations or SqlConversationStore.from_url(
        app.ctx.settings.tracker_store_url
    )


async def close_database(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    await wait_for_pending_emails(app, timeout=app.ctx.settings.mail_timeout_seconds + 2)
    if app.ctx.engine is not None:
        await app.ctx.engine.dispose()
    if isinstance(app.ctx.conversations, SqlConversationStore):
        await app.ctx.conversations.dispose()
