"""A member of staff, in Chromium, logs in, finds a ticket, moves it on and sees the audit trail;
one with a TOTP second factor needs the authenticator's current code."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.ports import free_port
from tests.support.processes import start_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
ARTIFACTS = ROOT / "test-artifacts"


@dataclass(frozen=True)
class Helpdesk:
    url: str
    username: str
    password: str
    reference: str
    totp_username: str
    totp_secret: str


def _open_ticket(url: str, token: str) -> str:
    body = {
        "type": "correction",
        "requester_name": "Hana Sato",
        "email": "hana@example.com",
        "details": "My address changed; please correct it. <b>not bold</b>",
        # Opened as staff do, so it starts as `new` (a chat request waits for its emailed code).
        "origin": "console",
        "conversation_excerpt": [{"sender": "customer", "text": "my address is wrong"}],
    }
    request = urllib.request.Request(
        f"{url}/api/v1/tickets",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": secrets.token_hex(8),
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        reference: str = json.loads(response.read())["reference"]
        return reference


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helpdesk]:
    folder = tmp_path_factory.mktemp("helpdesk-browser")
    token, password, port = secrets.token_urlsafe(16), secrets.token_urlsafe(16), free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'helpdesk.db'}",
        "HELPDESK_SERVICE_TOKEN": token,
        "HELPDESK_SECRET_KEY": secrets.token_hex(16),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),  # nothing listens: the ticket must survive that
    }
    for username in ("browser-staff", "totp-staff"):
        subprocess.run(
            [str(BIN / "helpdesk"), "create-staff", "--username", username, "--password-stdin"],
            input=password.encode(), env={**os.environ, **env}, cwd=ROOT, check=True,
            capture_output=True,
        )  # fmt: skip
    enrolled = subprocess.run(
        [str(BIN / "helpdesk"), "totp-enrol", "--username", "totp-staff"],
        env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    totp_secret = re.search(r"secret: (\S+)", enrolled.stdout)
    assert totp_secret is not None, enrolled.stdout
    server = start_server(
        "helpdesk-browser",
        [str(BIN / "helpdesk"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        ARTIFACTS / "logs",
        ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_until_answering(f"{url}/helpdesk/login", timeout=60)
        reference = _open_ticket(url, token)
        yield Helpdesk(
            url, "browser-staff", password, reference, "totp-staff", totp_secret.group(1)
        )
    finally:
        server.stop()


def test_staff_change_a_ticket_status_and_see_it_in_the_audit_trail(helpdesk: Helpdesk) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{helpdesk.url}/helpdesk")
        expect(page).to_have_url(f"{helpdesk.url}/helpdesk/login?next=%2Fhelpdesk")

        page.get_by_label("Username").fill(helpdesk.username)
        page.get_by_label("Password").fill(helpdesk.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Queue")).to_be_visible()

        row = page.locator(f'tr[data-reference="{helpdesk.reference}"]')
        expect(row).to_contain_text("Hana Sato")
        row.get_by_role("link", name=helpdesk.reference).click()
        expect(page.locator(".details")).to_contain_text("<b>not bold</b>")

        page.get_by_role("button", name="Move to identity_check").click()
        expect(page.locator("#status")).to_contain_text("identity_check")
        expect(page.get_by_role("button", name="Move to identity_check")).to_have_count(0)
        audit = page.locator("#audit")
        expect(audit).to_contain_text("status_changed")
        expect(audit).to_contain_text("to: identity_check")
        expect(audit).to_contain_text(helpdesk.username)
        expect(audit).to_contain_text("notification_failed")

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)


def test_staff_with_totp_sign_in_with_the_current_code_and_not_a_wrong_one(
    helpdesk: Helpdesk,
) -> None:
    import pyotp
    from playwright.sync_api import expect

    totp = pyotp.TOTP(helpdesk.totp_secret)
    valid = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in valid)
    with chromium() as browser:
        page = browser.new_page()

        def sign_in(code: str) -> None:
            page.goto(f"{helpdesk.url}/helpdesk/login")
            page.get_by_label("Username").fill(helpdesk.totp_username)
            page.get_by_label("Password").fill(helpdesk.password)
            page.get_by_label("Authenticator code").fill(code)
            page.get_by_role("button", name="Sign in").click()

        sign_in(wrong)
        expect(page.get_by_role("alert")).to_contain_text("Wrong username, password")
        expect(page.get_by_role("heading", name="Queue")).to_have_count(0)

        sign_in(totp.now())
        expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        expect(page.locator(f'tr[data-reference="{helpdesk.reference}"]')).to_be_visible()
