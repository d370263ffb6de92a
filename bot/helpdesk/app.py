"""The help desk application factory."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from sanic import Sanic

from bot.helpdesk.api import create_api_blueprint
from bot.helpdesk.console import create_console_blueprint
from bot.helpdesk.db import create_engine
from bot.helpdesk.errors import HelpdeskErrorHandler
from bot.helpdesk.mail import notify_new_ticket, wait_for_pending_emails
from bot.helpdesk.ratelimit import SlidingWindowLimiter
from bot.helpdesk.repository import (
    SqlStaffRepository,
    SqlTicketRepository,
    StaffRepository,
    TicketRepository,
)
from bot.helpdesk.settings import Settings
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
) -> Sanic:
    """Build the help desk and the public site from their settings (local defaults if None).

    Nothing is read from the environment here: `helpdesk serve` reads it and passes it in.
    Passing both repositories (unit tests) means no database engine.
    """
    settings = settings or Settings()
    app = Sanic(name, error_handler=HelpdeskErrorHandler())
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_SIZE
    app.ctx.settings = settings
    app.ctx.templates = Environment(
        loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=True
    )
    app.ctx.status_limiter_by_client = SlidingWindowLimiter(
        settings.status_limit_per_client, settings.status_limit_window_seconds
    )
    app.ctx.status_limiter_by_reference = SlidingWindowLimiter(
        settings.status_limit_per_reference, settings.status_limit_window_seconds
    )
    app.ctx.login_limiter = SlidingWindowLimiter(
        settings.login_limit, settings.login_limit_window_seconds
    )
    app.ctx.background_tasks = set()
    app.ctx.notify = notify_new_ticket

    app.blueprint(create_api_blueprint())
    app.blueprint(create_console_blueprint())
    app.static("/helpdesk/static", str(PACKAGE_DIR / "static"), name="console_static")

    # The public page with the policy and the chat widget.
    app.blueprint(create_site_blueprint(site or SiteSettings()))

    @app.before_server_start
    async def open_database(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        app.ctx.background_tasks = set()
        if tickets is not None and staff is not None:
            app.ctx.engine, app.ctx.tickets, app.ctx.staff = None, tickets, staff
            return
        engine = create_engine(settings.database_url)
        app.ctx.engine = engine
        app.ctx.tickets = SqlTicketRepository(engine, settings.due_days)
        app.ctx.staff = SqlStaffRepository(engine)

    @app.after_server_stop
    async def close_database(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        await wait_for_pending_emails(app, timeout=settings.mail_timeout_seconds + 2)
        if app.ctx.engine is not None:
            await app.ctx.engine.dispose()

    return app
