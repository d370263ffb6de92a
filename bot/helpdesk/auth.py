"""Who is calling: the bot (service token), staff (session cookie or staff API token), or nobody."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic import Request, response
from sanic.response import HTTPResponse

from bot.helpdesk.csrf import session_token_matches
from bot.helpdesk.errors import api_error
from bot.helpdesk.models import StaffSession

SESSION_COOKIE = "helpdesk_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATH = "/helpdesk/login"

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]
_hasher = PasswordHasher()
_unknown_user_hash: list[str] = []


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Checks the password; for unknown users it still spends the same time hashing."""
    if password_hash is None:
        if not _unknown_user_hash:
            _unknown_user_hash.append(_hasher.hash("not-a-real-password"))
        password_hash = _unknown_user_hash[0]
        try:
            _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_service(request: Request) -> bool:
    token = bearer_token(request)
    expected: str = request.app.ctx.settings.service_token
    return token is not None and hmac.compare_digest(token.encode(), expected.encode())


async def session_from_cookie(request: Request) -> StaffSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session: StaffSession | None = await request.app.ctx.staff.session(token)
    return session


async def staff_api_session(request: Request) -> StaffSession | None:
    """A staff API token (`Authorization: Bearer`), or the console cookie with a CSRF header."""
    token = bearer_token(request)
    if token is not None:
        session: StaffSession | None = await request.app.ctx.staff.session(token)
        return session
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


def set_cookie(
    resp: HTTPResponse, name: str, value: str, secure: bool, max_age: int | None = None
) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Lax"
    cookie["path"] = "/"
    if secure:
        cookie["secure"] = True
    if max_age is not None:
        cookie["max-age"] = max_age


def clear_cookie(resp: HTTPResponse, name: str, secure: bool) -> None:
    set_cookie(resp, name, "", secure, max_age=0)
