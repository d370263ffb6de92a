"""The staff console: queue, ticket page, status buttons, escaping, CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.integration.helpdesk.conftest import csrf_of, open_staff_ticket, open_ticket
from tests.integration.helpdesk.helpers import move_due_date

SCRIPT = "<script>alert('x')</script>"


async def test_customer_text_is_shown_as_text_never_as_markup(logged_in_client: Any) -> None:
    client = logged_in_client
    reference = (
        await open_ticket(
            client,
            requester_name=SCRIPT,
            details=SCRIPT,
            service=SCRIPT,
            conversation_excerpt=[{"sender": "customer", "text": SCRIPT}],
        )
    )["reference"]

    _, queue = await client.get("/helpdesk")
    _, page = await client.get(f"/helpdesk/tickets/{reference}")

    for html in (queue.text, page.text):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "script-src 'none'" in page.headers["content-security-policy"]


async def test_the_queue_is_sorted_by_due_date_and_highlights_overdue_tickets(
    logged_in_client: Any, settings: Any
) -> None:
    client = logged_in_client
    later = (await open_ticket(client))["reference"]
    late = (await open_ticket(client))["reference"]
    await move_due_date(settings.database_url, late, days=-3)

    _, queue = await client.get("/helpdesk")

    assert queue.text.index(late) < queue.text.index(later)
    assert f'class="overdue" data-reference="{late}"' in queue.text
    assert f'class="" data-reference="{later}"' in queue.text


async def test_queue_filters(logged_in_client: Any) -> None:
    client = logged_in_client
    erasure = (await open_ticket(client))["reference"]
    complaint = (await open_ticket(client, type="complaint"))["reference"]

    _, page = await client.get("/helpdesk", params={"type": "complaint"})

    assert complaint in page.text and erasure not in page.text


async def test_the_ticket_page_offers_only_allowed_transitions_and_records_changes(
    logged_in_client: Any,
) -> None:
    client = logged_in_client
    reference = (await open_staff_ticket(client))["reference"]
    _, page = await client.get(f"/helpdesk/tickets/{reference}")
    assert 'value="identity_check"' in page.text and 'value="withdrawn"' in page.text
    assert 'value="completed"' not in page.text

    token = csrf_of(page.text)
    _, moved = await client.post(
        f"/helpdesk/tickets/{reference}/status",
        data={"csrf_token": token, "status": "identity_check"},
        follow_redirects=False,
    )
    _, refused = await client.post(
        f"/helpdesk/tickets/{reference}/status", data={"csrf_token": token, "status": "completed"}
    )
    await client.post(
        f"/helpdesk/tickets/{reference}/assignee", data={"csrf_token": token, "assignee": "bob"}
    )
    await client.post(
        f"/helpdesk/tickets/{reference}/notes", data={"csrf_token": token, "text": "ID requested"}
    )
    _, page = await client.get(f"/helpdesk/tickets/{reference}")

    assert moved.status == 303
    assert refused.status == 409 and "cannot move to &#39;completed&#39;" in refused.text
    audit = page.text[page.text.index('id="audit"') :]
    assert "status_changed" in audit and "to: identity_check" in audit
    assert "assignee_changed" in audit and "note_added" in audit and "alice" in audit
    assert "ID requested" in page.text


async def test_csv_export_neutralises_spreadsheet_formulas(logged_in_client: Any) -> None:
    client = logged_in_client
    await open_ticket(client, requester_name='=HYPERLINK("http://evil")', details="+1 call me")
    await open_ticket(client, requester_name="Plain Name")

    _, resp = await client.get("/helpdesk/export.csv")

    assert resp.status == 200
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(rows) == 2
    names = {row["requester_name"] for row in rows}
    assert names == {'\'=HYPERLINK("http://evil")', "Plain Name"}
    assert {row["details"] for row in rows} >= {"'+1 call me"}


async def test_an_unknown_ticket_page_is_404(logged_in_client: Any) -> None:
    _, resp = await logged_in_client.get("/helpdesk/tickets/PR-2222-2222")
    assert resp.status == 404


async def test_staff_open_a_ticket_from_the_console_once_even_if_submitted_twice(
    logged_in_client: Any, smtp_server: Any
) -> None:
    import re

    client = logged_in_client
    _, form = await client.get("/helpdesk/new")
    key = re.search(r'name="form_key" value="([^"]+)"', form.text)
    assert key is not None
    data = {
        "csrf_token": csrf_of(form.text), "form_key": key.group(1), "type": "inquiry",
        "requester_name": "Phone Caller", "email": "caller@example.com", "phone": "",
        "membership_id": "", "service": "", "details": "Asked by phone how cookies are used.",
    }  # fmt: skip
    _, first = await client.post("/helpdesk/new", data=data, follow_redirects=False)
    _, second = await client.post("/helpdesk/new", data=data, follow_redirects=False)
    _, invalid = await client.post(
        "/helpdesk/new", data={**data, "email": "nope", "form_key": "k2"}
    )

    assert first.status == second.status == 303
    assert first.headers["location"] == second.headers["location"]
    _, page = await client.get(first.headers["location"])
    assert "via console" in page.text and "Phone Caller" in page.text
    assert "alice" in page.text[page.text.index('id="audit"') :]
    assert invalid.status == 422 and "email" in invalid.text and "Phone Caller" in invalid.text
    assert len(smtp_server.mailbox.messages) == 1
