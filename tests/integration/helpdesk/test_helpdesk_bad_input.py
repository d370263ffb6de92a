"""Malformed requests to every help desk route get a 4xx, never a 5xx (issue 16).

On SQLite and PostgreSQL (the `client` fixture runs each test on both): empty and non-JSON
bodies, JSON that is not an object or is nested too deeply, wrong types and huge values in every
field, text no database can store (NUL, unpaired surrogates), and path tricks in references.
Each test sends many requests to one app (a fresh database per test is the slow part) and reports
every request that went wrong at once. Bodies over the size limit: test_helpdesk_http.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tests.integration.helpdesk.conftest import (
    SERVICE,
    STAFF_USER,
    creation_headers,
    csrf_of,
    open_ticket,
    ticket_body,
)

TICKET_FIELDS = [
    "type",
    "requester_name",
    "email",
    "phone",
    "membership_id",
    "service",
    "details",
    "origin",
    "conversation_id",
    "conversation_excerpt",
]
WRONG_VALUES = {
    "a number": 7,
    "a list": ["x"],
    "an object": {"x": 1},
    "true": True,
    "huge": "x" * 100_000,
    "NUL": "a\x00b",
    "unpaired surrogate": "a\ud800b",
}
NOT_JSON_OBJECTS = {
    "empty": b"",
    "blank": b"  ",
    "not JSON": b"hello",
    "truncated": b'{"type": "erasure"',
    "not UTF-8": b"\xff\xfe",
    "nested too deep": b"[" * 100_000,
    "null": b"null",
    "a list": b"[]",
    "a string": b'"x"',
}
PATH_TRICKS = [
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "..",
    "%2e%2e",
    "PR-" * 500,
    "%F0%9F%98%80",
    "%ED%A0%80",
    "%FF",
    "PR-AAAA-AAAA%00",
    "a%0Ab",
]


def raw(body: bytes | Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def describe(resp: Any) -> str:
    return f"{resp.status} {resp.text[:120]!r}"


async def test_a_wrong_value_in_any_ticket_field_is_a_422_naming_it(client: Any) -> None:
    wrong = []
    for field in TICKET_FIELDS:
        for label, value in WRONG_VALUES.items():
            _, resp = await client.post(
                "/api/v1/tickets",
                content=raw(ticket_body(**{field: value})),
                headers=creation_headers(),
            )
            named = resp.status == 422 and any(
                name.startswith(field) for name in resp.json.get("fields", {})
            )
            if not named:
                wrong.append(f"{field} = {label}: {describe(resp)}")
    assert not wrong, "\n".join(wrong)


async def test_a_malformed_conversation_excerpt_is_a_422(client: Any) -> None:
    excerpts = [
        [{"sender": "customer", "text": "a\x00b"}],
        [{"sender": "customer", "text": "\udc00"}],
        [{"sender": "customer", "text": "hi", "timestamp": "\ud800"}],
        [{"sender": "customer", "text": "hi", "timestamp": ["2026"]}],
        [{"sender": ["customer"], "text": "hi"}],
        [{"sender": "customer", "text": "x" * 100_000}],
        ["not an object"],
        [{"sender": "customer", "text": "hi"}] * 1_000,
    ]
    wrong = []
    for excerpt in excerpts:
        _, resp = await client.post(
            "/api/v1/tickets",
            content=raw(ticket_body(conversation_excerpt=excerpt)),
            headers=creation_headers(),
        )
        if resp.status != 422:
            wrong.append(f"{str(excerpt)[:60]}: {describe(resp)}")
    assert not wrong, "\n".join(wrong)


async def test_a_body_that_is_not_a_json_object_is_a_4xx_on_every_json_route(
    client: Any, staff: dict[str, str]
) -> None:
    reference = (await open_ticket(client))["reference"]
    routes = [
        ("post", "/api/v1/tickets", creation_headers()),
        ("post", f"/api/v1/tickets/{reference}/transitions", staff),
        ("patch", f"/api/v1/tickets/{reference}", staff),
        ("post", f"/api/v1/tickets/{reference}/notes", staff),
        ("post", "/api/v1/staff/sessions", {}),
    ]
    wrong = []
    for label, body in NOT_JSON_OBJECTS.items():
        for method, path, headers in routes:
            _, resp = await getattr(client, method)(path, content=body, headers=headers)
            if not 400 <= resp.status < 500 or resp.json.get("error") not in (
                "invalid_json",
                "validation_failed",
            ):
                wrong.append(f"{method} {path} {label}: {describe(resp)}")
    assert not wrong, "\n".join(wrong)


async def test_wrong_values_on_the_staff_routes_and_the_login_are_4xx(
    client: Any, staff: dict[str, str]
) -> None:
    reference = (await open_ticket(client))["reference"]
    wrong = []
    for label, value in WRONG_VALUES.items():
        for method, path, body, headers in [
            ("post", f"/api/v1/tickets/{reference}/transitions", {"status": value}, staff),
            ("patch", f"/api/v1/tickets/{reference}", {"assignee": value}, staff),
            ("post", f"/api/v1/tickets/{reference}/notes", {"text": value}, staff),
            ("post", "/api/v1/staff/sessions", {"username": value, "password": "x"}, {}),
            ("post", "/api/v1/staff/sessions", {"username": STAFF_USER, "password": value}, {}),
        ]:
            _, resp = await getattr(client, method)(path, content=raw(body), headers=headers)
            if not 400 <= resp.status < 500:
                wrong.append(f"{method} {path} {list(body)} = {label}: {describe(resp)}")
    assert not wrong, "\n".join(wrong)


async def test_path_tricks_in_a_reference_are_4xx_on_every_route(
    client: Any, staff: dict[str, str]
) -> None:
    wrong = []
    for reference in PATH_TRICKS:
        for method, path, headers, body in [
            ("post", f"/api/v1/tickets/{reference}/status", SERVICE, {"email": "jane@example.com"}),
            ("get", f"/api/v1/tickets/{reference}", staff, None),
            ("post", f"/api/v1/tickets/{reference}/transitions", staff, {"status": "new"}),
            ("patch", f"/api/v1/tickets/{reference}", staff, {"assignee": "bob"}),
            ("post", f"/api/v1/tickets/{reference}/notes", staff, {"text": "hi"}),
        ]:
            kwargs: dict[str, Any] = {"headers": headers}
            if body is not None:
                kwargs["content"] = raw(body)
            _, resp = await getattr(client, method)(path, **kwargs)
            if not 400 <= resp.status < 500:
                wrong.append(f"{method} {path[:80]}: {describe(resp)}")
    assert not wrong, "\n".join(wrong)


async def test_odd_emails_in_a_status_lookup_are_4xx_and_odd_filters_422(
    client: Any, staff: dict[str, str]
) -> None:
    reference = (await open_ticket(client))["reference"]
    wrong = []
    # The email travels in the POST body (never the URL): NUL, a lone surrogate, odd bytes, huge.
    for email in ["\x00", "\ud800", "\xff", "x" * 10_000, "a@b" * 3_000]:
        _, resp = await client.post(
            f"/api/v1/tickets/{reference}/status", headers=SERVICE, content=raw({"email": email})
        )
        if resp.status not in (404, 422):
            wrong.append(f"email {email[:20]!r}: {describe(resp)}")
    for query in ["status=%00", "type=%FF", "overdue=maybe", "status=" + "x" * 10_000]:
        _, resp = await client.get(f"/api/v1/tickets?{query}", headers=staff)
        if resp.status != 422:
            wrong.append(f"filter {query[:20]}: {describe(resp)}")
    assert not wrong, "\n".join(wrong)


async def test_the_console_login_refuses_odd_names_with_a_4xx(client: Any) -> None:
    wrong = []
    for username in ["a%00b", "%ED%A0%80", "%FF", "x" * 100_000]:
        _, page = await client.get("/helpdesk/login")
        form = f"csrf_token={quote(csrf_of(page.text))}&username={username}&password=x"
        _, resp = await client.post(
            "/helpdesk/login",
            content=form.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        if not 400 <= resp.status < 500:
            wrong.append(f"{username[:10]!r}: {resp.status}")
    assert not wrong, "\n".join(wrong)
