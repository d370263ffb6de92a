"""Every staff route refuses anonymous callers; the list of public routes is explicit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sanic import Sanic

from tests.integration.helpdesk.conftest import (
    SERVICE,
    STAFF_PASSWORD,
    STAFF_USER,
    console_login,
    csrf_of,
    open_staff_ticket,
    open_ticket,
)

# (method, path) pairs anyone may call; everything else needs a caller the route trusts.
PUBLIC_ROUTES = {
    ("GET", "verify"),
    ("POST", "verify"),
    ("GET", "api/v1/openapi.yaml"),
    ("POST", "api/v1/staff/sessions"),
    ("GET", "helpdesk/login"),
    ("POST", "helpdesk/login"),
    ("GET", "helpdesk/static/<__file_uri__:path>"),
    ("HEAD", "helpdesk/static/<__file_uri__:path>"),
    # The public site (bot.site): the policy page and the chat widget's assets.
    ("GET", ""),
    ("HEAD", ""),
    ("GET", "site-assets/<name:str>"),
    ("HEAD", "site-assets/<name:str>"),
}
# Routes for the bot: they take the service token, never a staff login.
SERVICE_ROUTES = {
    ("POST", "api/v1/tickets"),
    ("POST", "api/v1/tickets/<reference:str>/status"),
    ("DELETE", "api/v1/conversations/<conversation_id:str>"),
    ("POST", "api/v1/tickets/<reference:str>/verification"),
}


def guarded_routes(app: Sanic) -> list[tuple[str, str]]:
    pairs = {(method, route.path) for route in app.router.routes for method in route.methods}
    return sorted(pairs - PUBLIC_ROUTES)


def concrete(path: str) -> str:
    return "/" + re.sub(r"<[^>]+>", "PR-2222-2222", path)


async def test_the_route_list_is_what_this_test_expects(app: Sanic) -> None:
    routes = guarded_routes(app)
    assert len(routes) >= 15
    assert SERVICE_ROUTES <= set(routes)


async def test_every_guarded_route_refuses_anonymous_callers(app: Sanic) -> None:
    client = app.asgi_client
    for method, path in guarded_routes(app):
        _, resp = await client.request(
            method, concrete(path), json={}, headers={"Idempotency-Key": "k"},
            follow_redirects=False,
        )  # fmt: skip
        if path.startswith("api/"):
            assert resp.status == 401, (method, path, resp.status)
            assert resp.json["error"] == "unauthorized"
        else:
            assert resp.status == 303, (method, path, resp.status)
            assert resp.headers["location"].startswith("/helpdesk/login?next=")


async def test_the_service_token_does_not_open_staff_routes(app: Sanic) -> None:
    client = app.asgi_client
    staff_api_routes = [
        (m, p)
        for m, p in guarded_routes(app)
        if p.startswith("api/") and (m, p) not in SERVICE_ROUTES
    ]
    assert staff_api_routes
    for method, path in staff_api_routes:
        _, resp = await client.request(method, concrete(path), json={}, headers=SERVICE)
        assert resp.status == 401, (method, path)


async def test_a_forged_session_cookie_is_refused(client: Any) -> None:
    client.cookies.set("helpdesk_session", "forged-value")
    _, page = await client.get("/helpdesk", follow_redirects=False)
    _, api = await client.get("/api/v1/tickets")
    assert page.status == 303 and api.status == 401


async def test_login_sets_a_hardened_session_cookie(client: Any) -> None:
    _, page = await client.get("/helpdesk/login")
    _, resp = await client.post(
        "/helpdesk/login",
        data={"csrf_token": csrf_of(page.text), "username": STAFF_USER, "password": STAFF_PASSWORD},
        follow_redirects=False,
    )
    cookie = next(
        v for k, v in resp.headers.multi_items() if k == "set-cookie" and "helpdesk_session=" in v
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # HELPDESK_SECURE_COOKIES is off in this test


async def test_secure_cookies_when_configured(settings: Any) -> None:
    from dataclasses import replace

    from bot.helpdesk.app import create_app

    app = create_app(replace(settings, secure_cookies=True))
    _, resp = await app.asgi_client.get("/helpdesk/login")
    cookie = resp.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_login_without_the_form_token_is_refused(client: Any) -> None:
    _, resp = await client.post(
        "/helpdesk/login",
        data={"username": STAFF_USER, "password": STAFF_PASSWORD},
        follow_redirects=False,
    )
    assert resp.status == 403
    assert "helpdesk_session=" not in resp.headers.get("set-cookie", "")


async def test_wrong_password_is_refused_and_repeated_failures_are_rate_limited(
    client: Any,
) -> None:
    statuses = []
    for _ in range(6):
        _, page = await client.get("/helpdesk/login")
        _, resp = await client.post(
            "/helpdesk/login",
            data={"csrf_token": csrf_of(page.text), "username": STAFF_USER, "password": "nope"},
        )
        statuses.append(resp.status)
    assert statuses == [401] * 5 + [429]


async def test_staff_api_login_is_rate_limited(client: Any) -> None:
    statuses = []
    for _ in range(6):
        _, resp = await client.post(
            "/api/v1/staff/sessions", json={"username": STAFF_USER, "password": "wrong"}
        )
        statuses.append(resp.status)
    assert statuses == [401] * 5 + [429]


async def test_console_forms_without_the_csrf_token_are_refused(client: Any) -> None:
    reference = (await open_ticket(client))["reference"]
    await console_login(client)
    for action, data in (
        ("status", {"status": "identity_check"}),
        ("assignee", {"assignee": "mallory"}),
        ("notes", {"text": "forged"}),
    ):
        _, resp = await client.post(
            f"/helpdesk/tickets/{reference}/{action}",
            data={**data, "csrf_token": "wrong"},
            follow_redirects=False,
        )
        assert resp.status == 403, action
    _, page = await client.get(f"/helpdesk/tickets/{reference}")
    assert "new" in page.text and "mallory" not in page.text and "forged" not in page.text


async def test_the_console_cookie_needs_the_csrf_header_for_api_changes(client: Any) -> None:
    reference = (await open_staff_ticket(client))["reference"]
    await console_login(client)
    _, page = await client.get(f"/helpdesk/tickets/{reference}")
    url = f"/api/v1/tickets/{reference}/transitions"
    # Browsers keep the cookie under /helpdesk; a client that sends it anyway needs the header.
    session = next(c.value for c in client.cookies.jar if c.name == "helpdesk_session")
    cookie = {"Cookie": f"helpdesk_session={session}"}

    _, not_sent = await client.post(url, json={"status": "identity_check"})
    _, without = await client.post(url, json={"status": "identity_check"}, headers=cookie)
    _, with_header = await client.post(
        url, json={"status": "identity_check"},
        headers={**cookie, "X-CSRF-Token": csrf_of(page.text)},
    )  # fmt: skip
    assert not_sent.status == 401
    assert without.status == 401
    assert with_header.status == 200


async def test_logging_out_ends_the_session(client: Any) -> None:
    await console_login(client)
    _, queue = await client.get("/helpdesk")
    _, resp = await client.post(
        "/helpdesk/logout", data={"csrf_token": csrf_of(queue.text)}, follow_redirects=False
    )
    assert resp.status == 303
    _, after = await client.get("/helpdesk", follow_redirects=False)
    assert after.status == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/api/v1/tickets"])
async def test_login_never_redirects_outside_the_console(client: Any, target: str) -> None:
    _, page = await client.get("/helpdesk/login", params={"next": target})
    _, resp = await client.post(
        "/helpdesk/login",
        data={"csrf_token": csrf_of(page.text), "username": STAFF_USER,
              "password": STAFF_PASSWORD, "next": target},
        follow_redirects=False,
    )  # fmt: skip
    assert resp.headers["location"] == "/helpdesk"
