"""The JSON API on SQLite and PostgreSQL: creation, idempotency, validation, lookup, staff."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.helpdesk.conftest import (
    SERVICE,
    creation_headers,
    open_staff_ticket,
    open_ticket,
    ticket_body,
)


async def test_creating_a_ticket_returns_its_reference_and_due_date(client: Any) -> None:
    _, resp = await client.post("/api/v1/tickets", json=ticket_body(), headers=creation_headers())

    assert resp.status == 201
    ticket = resp.json
    assert re.fullmatch(r"PR-[2-9A-Z]{4}-[2-9A-Z]{4}", ticket["reference"])
    # A chat request waits for the code emailed to the requester before staff see it as new.
    assert ticket["status"] == "identity_check" and ticket["type"] == "erasure"
    assert ticket["email"] == "jane@example.com"
    created = datetime.fromisoformat(ticket["created_at"])
    assert datetime.fromisoformat(ticket["due_at"]) - created == timedelta(days=14)


async def test_references_are_not_sequential(client: Any) -> None:
    references = {(await open_ticket(client))["reference"] for _ in range(5)}
    assert len(references) == 5


async def test_a_retry_with_the_same_key_and_body_returns_the_same_ticket(
    client: Any, staff: dict[str, str]
) -> None:
    headers = creation_headers("retry-key-1")
    _, first = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    _, again = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)

    assert (first.status, again.status) == (201, 200)
    assert again.json == first.json
    _, listing = await client.get("/api/v1/tickets", headers=staff)
    assert len(listing.json["tickets"]) == 1


async def test_the_same_key_with_a_different_body_is_a_conflict(client: Any) -> None:
    headers = creation_headers("retry-key-2")
    await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    _, resp = await client.post(
        "/api/v1/tickets", json=ticket_body(details="something else"), headers=headers
    )

    assert resp.status == 409
    assert resp.json["error"] == "conflict"
    assert "Idempotency-Key" in resp.json["fields"]


async def test_creation_requires_an_idempotency_key(client: Any) -> None:
    _, resp = await client.post("/api/v1/tickets", json=ticket_body(), headers=SERVICE)
    assert resp.status == 422
    assert resp.json["fields"] == {"Idempotency-Key": "header is required"}


@pytest.mark.parametrize("token", [None, "Bearer wrong-token", "Basic dGVzdA=="])
async def test_creation_requires_the_service_token(client: Any, token: str | None) -> None:
    headers = {"Idempotency-Key": "k"} | ({"Authorization": token} if token else {})
    _, resp = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    assert resp.status == 401
    assert resp.json["error"] == "unauthorized"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "jane@example"}, "email"),
        ({"type": "delete_everything"}, "type"),
        ({"type": None}, "type"),
        ({"requester_name": ""}, "requester_name"),
        ({"details": "x" * 5001}, "details"),
        ({"requester_name": "n" * 201}, "requester_name"),
        ({"phone": 123}, "phone"),
        ({"origin": "email"}, "origin"),
        ({"conversation_excerpt": "hello"}, "conversation_excerpt"),
        (
            {"conversation_excerpt": [{"sender": "hacker", "text": "x"}]},
            "conversation_excerpt[0].sender",
        ),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_invalid_fields_are_refused_by_name_and_nothing_is_stored(
    client: Any, staff: dict[str, str], overrides: dict[str, Any], field: str
) -> None:
    _, resp = await client.post(
        "/api/v1/tickets", json=ticket_body(**overrides), headers=creation_headers()
    )

    assert resp.status == 422
    assert resp.json["error"] == "validation_failed"
    assert field in resp.json["fields"]
    _, listing = await client.get("/api/v1/tickets", headers=staff)
    assert listing.json["tickets"] == []


async def test_missing_required_fields_are_each_named(client: Any) -> None:
    _, resp = await client.post("/api/v1/tickets", json={}, headers=creation_headers())
    assert resp.status == 422
    assert set(resp.json["fields"]) == {"type", "requester_name", "email", "details"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"[1, 2]", 422, "validation_failed"),
        (b'"a string"', 422, "validation_failed"),
    ],
)
async def test_malformed_or_non_object_json_is_refused(
    client: Any, body: bytes, status: int, error: str
) -> None:
    headers = {**creation_headers(), "Content-Type": "application/json"}
    _, resp = await client.post("/api/v1/tickets", content=body, headers=headers)
    assert resp.status == status
    assert resp.json["error"] == error


async def test_customer_status_lookup_matches_email_case_insensitively(client: Any) -> None:
    ticket = await open_ticket(client)
    _, resp = await client.post(
        f"/api/v1/tickets/{ticket['reference']}/status",
        json={"email": "JANE@Example.com"},
        headers=SERVICE,
    )

    assert resp.status == 200
    assert resp.json["status"] == "identity_check"
    assert resp.json["status_label"]
    assert set(resp.json) == {
        "reference", "type", "status", "status_label", "created_at", "updated_at", "due_at",
    }  # fmt: skip


async def test_wrong_email_and_unknown_reference_get_byte_identical_answers(client: Any) -> None:
    ticket = await open_ticket(client)
    _, wrong_email = await client.post(
        f"/api/v1/tickets/{ticket['reference']}/status",
        json={"email": "mallory@example.com"},
        headers=SERVICE,
    )
    _, unknown = await client.post(
        "/api/v1/tickets/PR-2222-3333/status",
        json={"email": "jane@example.com"},
        headers=SERVICE,
    )

    assert wrong_email.status == unknown.status == 404
    assert wrong_email.body == unknown.body
    assert wrong_email.json["error"] == "not_found"


async def test_status_lookup_needs_the_service_token(client: Any) -> None:
    ticket = await open_ticket(client)
    _, resp = await client.post(
        f"/api/v1/tickets/{ticket['reference']}/status", json={"email": "jane@example.com"}
    )
    assert resp.status == 401


async def test_staff_read_a_ticket_with_its_excerpt_and_audit(
    client: Any, staff: dict[str, str]
) -> None:
    ticket = await open_ticket(client)
    _, resp = await client.get(f"/api/v1/tickets/{ticket['reference']}", headers=staff)

    assert resp.status == 200
    assert resp.json["requester_name"] == "Jane Doe"
    assert resp.json["conversation_excerpt"][0]["text"] == "delete my data"
    assert [a["action"] for a in resp.json["audit"]][0] == "created"
    assert resp.json["next_statuses"] == ["in_progress", "rejected", "withdrawn"]


async def test_unknown_ticket_is_404_for_staff(client: Any, staff: dict[str, str]) -> None:
    _, resp = await client.get("/api/v1/tickets/PR-2222-2222", headers=staff)
    assert resp.status == 404 and resp.json["error"] == "not_found"


ALLOWED_PATHS = [
    ["identity_check"],
    ["withdrawn"],
    ["identity_check", "in_progress", "completed"],
    ["identity_check", "in_progress", "rejected"],
    ["identity_check", "rejected"],
    ["identity_check", "in_progress", "withdrawn"],
]


@pytest.mark.parametrize("path", ALLOWED_PATHS, ids="->".join)
async def test_allowed_transitions_are_applied_and_audited(
    client: Any, staff: dict[str, str], path: list[str]
) -> None:
    reference = (await open_staff_ticket(client))["reference"]
    for status in path:
        _, resp = await client.post(
            f"/api/v1/tickets/{reference}/transitions", json={"status": status}, headers=staff
        )
        assert resp.status == 200, resp.text
        assert resp.json["status"] == status

    _, detail = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    changes = [a for a in detail.json["audit"] if a["action"] == "status_changed"]
    assert [c["detail"]["to"] for c in changes] == path
    assert all(c["actor"] == "alice" for c in changes)


REFUSED = [
    ([], "in_progress"),
    ([], "completed"),
    ([], "new"),
    (["identity_check"], "completed"),
    (["identity_check", "in_progress", "completed"], "in_progress"),
    (["withdrawn"], "identity_check"),
    (["identity_check", "rejected"], "withdrawn"),
]


@pytest.mark.parametrize(("before", "refused"), REFUSED)
async def test_refused_transitions_change_nothing(
    client: Any, staff: dict[str, str], before: list[str], refused: str
) -> None:
    reference = (await open_staff_ticket(client))["reference"]
    for status in before:
        await client.post(
            f"/api/v1/tickets/{reference}/transitions", json={"status": status}, headers=staff
        )
    _, audit_before = await client.get(f"/api/v1/tickets/{reference}", headers=staff)

    _, resp = await client.post(
        f"/api/v1/tickets/{reference}/transitions", json={"status": refused}, headers=staff
    )

    assert resp.status == 409
    assert resp.json["error"] == "conflict"
    assert f"cannot move to '{refused}'" in resp.json["message"]
    _, after = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    assert after.json["status"] == (before[-1] if before else "new")
    changes = [[a for a in doc.json["audit"] if a["action"] != "viewed"]
               for doc in (audit_before, after)]  # fmt: skip
    assert changes[0] == changes[1]  # only reads (views) were added


async def test_an_unknown_status_is_a_validation_error(client: Any, staff: dict[str, str]) -> None:
    reference = (await open_ticket(client))["reference"]
    _, resp = await client.post(
        f"/api/v1/tickets/{reference}/transitions", json={"status": "done"}, headers=staff
    )
    assert resp.status == 422 and "status" in resp.json["fields"]


async def test_assignee_and_notes_are_recorded_in_the_audit_trail(
    client: Any, staff: dict[str, str]
) -> None:
    reference = (await open_ticket(client))["reference"]
    _, assigned = await client.patch(
        f"/api/v1/tickets/{reference}", json={"assignee": "bob"}, headers=staff
    )
    _, note = await client.post(
        f"/api/v1/tickets/{reference}/notes", json={"text": "Called the customer."}, headers=staff
    )
    _, empty_note = await client.post(
        f"/api/v1/tickets/{reference}/notes", json={"text": "  "}, headers=staff
    )

    assert assigned.status == 200 and assigned.json["assignee"] == "bob"
    assert note.status == 201 and note.json["author"] == "alice"
    assert empty_note.status == 422 and "text" in empty_note.json["fields"]
    _, detail = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    assert [n["text"] for n in detail.json["notes"]] == ["Called the customer."]
    actions = [a["action"] for a in detail.json["audit"]]
    assert actions.count("assignee_changed") == 1 and actions.count("note_added") == 1


async def test_listing_filters_by_status_and_type(client: Any, staff: dict[str, str]) -> None:
    erasure = (await open_ticket(client))["reference"]
    complaint = (await open_ticket(client, type="complaint"))["reference"]
    await client.post(
        f"/api/v1/tickets/{complaint}/transitions", json={"status": "withdrawn"}, headers=staff
    )

    _, by_type = await client.get("/api/v1/tickets", params={"type": "erasure"}, headers=staff)
    _, by_status = await client.get(
        "/api/v1/tickets", params={"status": "withdrawn"}, headers=staff
    )
    _, bad = await client.get("/api/v1/tickets", params={"status": "lost"}, headers=staff)

    assert [t["reference"] for t in by_type.json["tickets"]] == [erasure]
    assert [t["reference"] for t in by_status.json["tickets"]] == [complaint]
    assert bad.status == 422 and "status" in bad.json["fields"]


async def test_overdue_filter_lists_only_open_tickets_past_their_due_date(
    client: Any, staff: dict[str, str], settings: Any
) -> None:
    from tests.integration.helpdesk.helpers import move_due_date

    late = (await open_ticket(client))["reference"]
    closed_late = (await open_ticket(client))["reference"]
    await open_ticket(client)
    await client.post(
        f"/api/v1/tickets/{closed_late}/transitions", json={"status": "withdrawn"}, headers=staff
    )
    await move_due_date(settings.database_url, late, days=-20)
    await move_due_date(settings.database_url, closed_late, days=-20)

    _, resp = await client.get("/api/v1/tickets", params={"overdue": "true"}, headers=staff)
    assert [t["reference"] for t in resp.json["tickets"]] == [late]


async def test_unknown_api_routes_answer_in_the_error_shape(client: Any) -> None:
    _, resp = await client.get("/api/v1/nothing-here")
    assert resp.status == 404
    assert resp.json["error"] == "not_found"


async def test_the_openapi_document_is_served(client: Any) -> None:
    import yaml

    _, resp = await client.get("/api/v1/openapi.yaml")
    assert resp.status == 200
    document = yaml.safe_load(resp.text)
    assert "/tickets/{reference}/status" in document["paths"]
