"""A customer uses the website chat against the real stack; staff find the ticket it opened.

Debian's Chromium opens the site served by the help desk, asks about cookies, reloads,
opens a deletion request with buttons and typed answers, reads the reference the bot
gives, then logs into the staff console and finds that ticket. Screenshots of the chat
and the console, at desktop width and at 375 px, go to test-artifacts/.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Stack
from tests.support.browser import chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REFERENCE = re.compile(r"PR-[A-Z0-9]{4}-[A-Z0-9]{4}")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def _ask(page: Any, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()


def _last_bot_text_after(page: Any, count_before: int) -> str:
    from playwright.sync_api import expect

    bot_messages = page.locator('[data-testid="chat-message"][data-sender="bot"]')
    expect(bot_messages.nth(count_before)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("chat-typing")).to_be_hidden(timeout=30_000)
    return " ".join(bot_messages.all_inner_texts()[count_before:])


def _bot_count(page: Any) -> int:
    return int(page.locator('[data-testid="chat-message"][data-sender="bot"]').count())


def _shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def test_a_customer_asks_reloads_opens_a_deletion_request_and_staff_find_it(
    stack: Stack,
) -> None:
    from playwright.sync_api import expect

    email = f"sam.{secrets.token_hex(3)}@example.com"
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{stack.helpdesk_url}/")
        expect(page.locator("#chat[data-ready=true]")).to_be_attached()
        page.get_by_test_id("chat-launcher").click()

        before = _bot_count(page)
        _ask(page, "do you use cookies?")
        answer = _last_bot_text_after(page, before)
        assert "cookie" in answer.lower()
        citation = page.locator('[data-testid="chat-link"][href$="#use-of-cookies"]')
        expect(citation.first).to_be_visible()
        _shoot(page, "journey-chat-desktop.png")

        page.reload()
        expect(page.locator("#chat[data-ready=true]")).to_be_attached()
        if not page.get_by_test_id("chat-panel").is_visible():
            page.get_by_test_id("chat-launcher").click()
        expect(page.get_by_test_id("chat-log")).to_contain_text("do you use cookies?")
        expect(citation.first).to_be_visible()

        before = _bot_count(page)
        _ask(page, "do you have to delete my data when my account is closed")
        _last_bot_text_after(page, before)
        steps: list[tuple[str, str]] = [
            ("button", "Ask for deletion"),
            ("type", "Sam Sample"),
            ("type", email),
            ("button", "Skip"),
            ("type", "Please delete my account and all the data linked to it."),
        ]
        for kind, value in steps:
            before = _bot_count(page)
            if kind == "button":
                page.get_by_test_id("chat-reply-button").filter(has_text=value).last.click()
            else:
                _ask(page, value)
            _last_bot_text_after(page, before)
        expect(page.get_by_test_id("chat-log")).to_contain_text(email)

        before = _bot_count(page)
        page.get_by_test_id("chat-reply-button").filter(has_text="Confirm").last.click()
        outcome = _last_bot_text_after(page, before)
        match = REFERENCE.search(outcome)
        assert match, f"no reference in the bot's answer: {outcome}"
        reference = match.group(0)

        page.set_viewport_size(PHONE)
        _shoot(page, "journey-chat-375.png")

        console = browser.new_page(viewport=DESKTOP)
        console.goto(f"{stack.helpdesk_url}/helpdesk")
        console.get_by_label("Username").fill(stack.staff_username)
        console.get_by_label("Password").fill(stack.staff_password)
        console.get_by_role("button", name="Sign in").click()
        row = console.locator(f'tr[data-reference="{reference}"]')
        expect(row).to_contain_text("Sam Sample")
        expect(row).to_contain_text(re.compile("erasure", re.IGNORECASE))
        _shoot(console, "journey-console-desktop.png")
        row.get_by_role("link", name=reference).click()
        expect(console.locator("body")).to_contain_text("What is your full name?")
        console.set_viewport_size(PHONE)
        _shoot(console, "journey-console-375.png")
