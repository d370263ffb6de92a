"""Who is calling: the bot (service token), staff (session cookie or staff API token), or nobody."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sanic import Request, response
from sanic.response import HTTPResponse

from bot.helpdesk import services
from bot.helpdesk.csrf import session_token_matches
from bot.helpdesk.errors import api_error
from bot.helpdesk.models import StaffSession
from bot.helpdesk.settings import Settings

SESSION_COOKIE = "helpdesk_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATH = "/helpdesk/login"
COOKIE_PATH = "/helpdesk"  # console cookies are never sent to the public site or the API

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


class CsrfRejected(Exception):
    """A console form came without the session's CSRF token (expired, or from another site)."""


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_service(request: Request) -> bool:
    token = bearer_token(request)
    expected: str = request.app.ctx.settings.service_token
    return token is not None and hmac.compare_digest(token.encode(), expected.encode())


def session_lifetime(settings: Settings) -> services.SessionLifetime:
    return services.SessionLifetime(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_hours),
    )


async def _session(request: Request, token: str | None) -> StaffSession | None:
    ctx = request.app.ctx
    return await services.staff_session(ctx.staff, token, session_lifetime(ctx.settings))


def session_token(request: Request) -> str | None:
    """The staff session this request carries: the API token, else the console cookie."""
    return bearer_token(request) or request.cookies.get(SESSION_COOKIE)


async def session_from_cookie(request: Request) -> StaffSession | None:
    return await _session(request, request.cookies.get(SESSION_COOKIE))


async def staff_api_session(request: Request) -> StaffSession | None:
    """A staff API token (`Authorization: Bearer`), or the console cookie with a CSRF header."""
    token = bearer_token(request)
    if token is not None:
        return await _session(request, token)
    session = await session_from_cookie(request)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and not session_token_matches(
        session.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        return None
    return session


def service_only(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if not is_service(request):
            return api_error(401, "A valid service token is required (Authorization: Bearer).")
        return await handler(request, *args, **kwargs)

    return guarded


def staff_api(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        session = await staff_api_session(request)
        if session is None:
            return api_error(401, "Staff login required.")
        request.ctx.session = session
        return await handler(request, *args, **kwargs)

    return guarded


def staff_page(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        session = await session_from_cookie(request)
        if session is None:
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            return response.redirect(f"{LOGIN_PATH}?next={quote(target, safe='')}", status=303)
        request.ctx.session = session
        return await handler(request, *args, **kwargs)

    return guarded


def staff_form(handler: Handler) -> Handler:
    """A console form post: a staff session, and the session's CSRF token in the form."""

    @functools.wraps(handler)
    async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        token = request.ctx.session.csrf_token
        if not session_token_matches(token, request.form.get("csrf_token")):
            raise CsrfRejected()
        return await handler(request, *args, **kwargs)

    return staff_page(checked)


def staff_name(request: Request) -> str:
    """Who is acting, for the audit trail (behind staff_api, staff_page or staff_form)."""
    name: str = request.ctx.session.staff.username
    return name


def set_cookie(
    resp: HTTPResponse, name: str, value: str, secure: bool, max_age: int | None = None
) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Lax"
    cookie["path"] = COOKIE_PATH
    if secure:
        cookie["secure"] = True
    if max_age is not None:
        cookie["max-age"] = max_age


def set_session_cookie(resp: HTTPResponse, token: str, settings: Settings) -> None:
    max_age = settings.session_hours * 3600
    set_cookie(resp, SESSION_COOKIE, token, settings.secure_cookies, max_age=max_age)


def clear_cookie(resp: HTTPResponse, name: str, secure: bool) -> None:
    set_cookie(resp, name, "", secure, max_age=0)
