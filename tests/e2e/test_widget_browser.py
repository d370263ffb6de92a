"""The chat widget in Debian's Chromium, against a fake Rasa REST endpoint.

A real Sanic server (the site blueprint on a fresh app) and a fake Rasa run on free
127.0.0.1 ports; the fake answers canned replies (one with buttons, one citing a policy
section, one trying to inject HTML) and records what the widget sent. The full-stack journey
against the real Rasa lives with the e2e stack tests.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.chat.limits import DEFAULT_MAX_MESSAGE_LENGTH
from tests.support.browser import chromium
from tests.support.ports import free_port
from tests.support.processes import start_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
REPLY_DELAY_SECONDS = 0.8  # long enough to see the typing indicator
SITE_SERVER = """
import sys
from sanic import Sanic
from bot.site import create_site_blueprint

app = Sanic("widget_browser_test_site")
app.blueprint(create_site_blueprint())
app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False)
"""

COOKIES_ANSWER = (
    "Yes. Some services on CASIO websites use cookies, which identify the computer "
    "but not you unless you enter personal information.\n"
    "Source: [Use of cookies](/#use-of-cookies)"
)
ERASURE_OFFER = "I can open a deletion request with the Help Desk for you. Shall I?"
HOSTILE_TEXT = (
    '<img src=x onerror="window.__pwned = 1"> **careful** '
    "[click me](javascript:window.__pwned=2) <b>not bold</b>"
)


def canned_replies(message: str) -> list[dict[str, Any]]:
    if "cookie" in message.lower():
        return [{"text": COOKIES_ANSWER}]
    if "delete my data" in message.lower():
        return [
            {
                "text": ERASURE_OFFER,
                "buttons": [
                    {"title": "Open a deletion request", "payload": "/request_erasure"},
                    {"title": "Not now", "payload": "/deny"},
                ],
            }
        ]
    if message == "/request_erasure":
        return [{"text": "Sure. What is your full name?"}]
    if message == "show html":
        return [{"text": HOSTILE_TEXT}]
    return [{"text": f"You said: {message}"}]


@dataclass
class FakeRasa:
    url: str
    received: list[tuple[str, str]] = field(default_factory=list)

    def senders(self) -> list[str]:
        return [sender for sender, _ in self.received]

    def messages(self) -> list[str]:
        return [message for _, message in self.received]


def _handler_for(fake: FakeRasa) -> type[BaseHTTPRequestHandler]:
    class FakeRasaHandler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
            pass

        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")

        def do_OPTIONS(self) -> None:  # noqa: N802 (stdlib's name)
            self.send_response(204)
            self._cors()
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802 (stdlib's name)
            if self.path != "/webhooks/rest/webhook":
                self.send_error(404)
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.received.append((body["sender"], body["message"]))
            time.sleep(REPLY_DELAY_SECONDS)
            replies = [
                {"recipient_id": body["sender"], **reply}
                for reply in canned_replies(body["message"])
            ]
            payload = json.dumps(replies).encode()
            self.send_response(200)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return FakeRasaHandler


@pytest.fixture(scope="module")
def fake_rasa() -> Iterator[FakeRasa]:
    port = free_port()
    fake = FakeRasa(url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site_url(fake_rasa: FakeRasa) -> Iterator[str]:
    port = free_port()
    server = start_server(
        "widget-site",
        [sys.executable, "-c", SITE_SERVER, str(port)],
        {"RASA_URL": fake_rasa.url, "PYTHONPATH": str(ROOT)},
        ARTIFACTS / "logs",
        ROOT,
    )
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/", 60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, site_url: str, fake_rasa: FakeRasa) -> Iterator[Any]:
    """A fresh browser context (empty localStorage) at desktop size, on the site."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    fake_rasa.received.clear()
    opened.goto(site_url)
    opened.locator("#chat[data-ready=true]").wait_for(state="attached")
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))


def open_chat(page: Any) -> None:
    page.get_by_test_id("chat-launcher").click()
    page.get_by_test_id("chat-panel").wait_for(state="visible")


def ask(page: Any, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-input").press("Enter")


def bot_messages(page: Any) -> Any:
    return page.locator("[data-testid=chat-message][data-sender=bot]")


def user_messages(page: Any) -> Any:
    return page.locator("[data-testid=chat-message][data-sender=user]")


def stored_chat(page: Any) -> Any:
    return page.evaluate("JSON.parse(localStorage.getItem('privacy-assistant-chat') || 'null')")


def test_a_question_shows_typing_then_an_answer_that_links_to_its_section(
    page: Any, fake_rasa: FakeRasa
) -> None:
    from playwright.sync_api import expect

    open_chat(page)
    ask(page, "do you use cookies?")

    expect(page.get_by_test_id("chat-typing")).to_be_visible()
    expect(user_messages(page)).to_have_text(["You: do you use cookies?"])
    expect(bot_messages(page).last).to_contain_text("use cookies")
    expect(page.get_by_test_id("chat-typing")).to_be_hidden()
    assert fake_rasa.messages() == ["do you use cookies?"]
    screenshot(page, "desktop-answer")

    source = bot_messages(page).last.get_by_role("link", name="Use of cookies")
    expect(source).to_have_attribute("href", "/#use-of-cookies")
    source.click()

    expect(page).to_have_url(page.url.split("#")[0].rstrip("/") + "/#use-of-cookies")
    expect(page.locator("#use-of-cookies")).to_be_in_viewport()
    expect(page.locator("#use-of-cookies")).to_contain_text("Customers may disable")


def test_a_button_sends_its_payload_shows_its_title_and_goes_away(
    page: Any, fake_rasa: FakeRasa
) -> None:
    from playwright.sync_api import expect

    open_chat(page)
    ask(page, "Please delete my data")
    buttons = page.get_by_test_id("chat-reply-button")
    expect(buttons).to_have_text(["Open a deletion request", "Not now"])
    screenshot(page, "desktop-buttons")

    buttons.first.click()

    expect(user_messages(page).last).to_have_text("You: Open a deletion request")
    expect(buttons).to_have_count(0)
    expect(bot_messages(page).last).to_have_text("Assistant: Sure. What is your full name?")
    assert fake_rasa.messages() == ["Please delete my data", "/request_erasure"]


def test_the_conversation_survives_a_reload_and_start_over_forgets_it(
    page: Any, fake_rasa: FakeRasa
) -> None:
    from playwright.sync_api import expect

    open_chat(page)
    ask(page, "Please delete my data")
    expect(page.get_by_test_id("chat-reply-button")).to_have_count(2)

    page.reload()

    expect(page.get_by_test_id("chat-panel")).to_be_visible()
    expect(user_messages(page)).to_have_text(["You: Please delete my data"])
    expect(bot_messages(page)).to_have_text([f"Assistant: {ERASURE_OFFER}"])
    expect(page.get_by_test_id("chat-reply-button")).to_have_count(2)
    page.get_by_test_id("chat-reply-button").first.click()
    expect(bot_messages(page).last).to_contain_text("What is your full name?")
    first_sender = fake_rasa.senders()[0]
    assert fake_rasa.senders() == [first_sender, first_sender], "same conversation after reload"
    sent_before_start_over = len(fake_rasa.received)

    page.get_by_test_id("chat-start-over").click()

    expect(page.locator("[data-testid=chat-message]")).to_have_count(0)
    expect(page.get_by_test_id("chat-welcome")).to_be_visible()
    stored = stored_chat(page)
    assert stored["messages"] == [] and stored["senderId"] != first_sender
    assert len(fake_rasa.received) == sent_before_start_over, "start over sends nothing"
    page.reload()
    expect(page.locator("[data-testid=chat-message]")).to_have_count(0)
    ask(page, "hello again")
    expect(bot_messages(page).last).to_contain_text("You said: hello again")
    assert fake_rasa.senders()[-1] == stored["senderId"]


def test_bot_text_cannot_inject_html(page: Any) -> None:
    from playwright.sync_api import expect

    open_chat(page)
    ask(page, "show html")
    reply = bot_messages(page).last
    expect(reply).to_contain_text("careful")

    assert reply.locator("img, b").count() == 0
    assert reply.locator("strong").inner_text() == "careful"
    assert reply.locator("a").count() == 0, "a javascript: link stays text"
    expect(reply).to_contain_text('<img src=x onerror="window.__pwned = 1">')
    expect(reply).to_contain_text("<b>not bold</b>")
    assert page.evaluate("window.__pwned") is None


def test_the_chat_works_with_the_keyboard_alone(page: Any, fake_rasa: FakeRasa) -> None:
    from playwright.sync_api import expect

    def focused() -> str:
        return str(
            page.evaluate(
                "document.activeElement.getAttribute('data-testid') || document.activeElement.id"
            )
        )

    for _ in range(3):
        page.keyboard.press("Tab")
        if focused() == "chat-launcher":
            break
    assert focused() == "chat-launcher", "the launcher is among the first stops"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus is visible"

    page.keyboard.press("Enter")
    expect(page.get_by_test_id("chat-panel")).to_be_visible()
    assert focused() == "chat-input"
    page.keyboard.type("Please delete my data")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("chat-reply-button")).to_have_count(2)

    stops = []
    for _ in range(3):  # the suggested replies sit just above the input
        page.keyboard.press("Shift+Tab")
        stops.append(focused())
    assert stops[:2] == ["chat-reply-button", "chat-reply-button"], f"Shift+Tab reached: {stops}"
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Open a deletion request")).to_be_focused()
    page.keyboard.press("Enter")
    expect(bot_messages(page).last).to_contain_text("What is your full name?")
    assert fake_rasa.messages()[-1] == "/request_erasure"
    assert focused() == "chat-input", "focus goes back to typing after a button"

    page.keyboard.press("Tab")
    reached = {focused()}
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
        reached.add(focused())
    assert {"chat-start-over", "chat-close", "chat-log", "chat-input", "chat-send"} <= reached

    page.get_by_test_id("chat-input").focus()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("chat-panel")).to_be_hidden()
    assert focused() == "chat-launcher"
    expect(page.get_by_test_id("chat-launcher")).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("is_mobile", [True, False], ids=["phone", "narrow-desktop-window"])
def test_the_panel_fits_a_375_pixel_screen(browser: Any, site_url: str, is_mobile: bool) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=is_mobile)
    phone = context.new_page()
    try:
        phone.goto(site_url)
        phone.locator("#chat[data-ready=true]").wait_for(state="attached")
        launcher = phone.get_by_test_id("chat-launcher").bounding_box()
        assert launcher["x"] >= 0 and launcher["x"] + launcher["width"] <= 375
        if is_mobile:
            screenshot(phone, "375-closed")

        open_chat(phone)
        ask(phone, "do you use cookies?")
        expect(bot_messages(phone).last).to_contain_text("Source: Use of cookies")
        panel = phone.get_by_test_id("chat-panel").bounding_box()
        assert (panel["x"], panel["width"]) == (0, 375), "full width"
        assert panel["y"] >= 0 and panel["y"] + panel["height"] <= 667, "fits the screen"
        for control in ("chat-input", "chat-send", "chat-close", "chat-start-over"):
            box = phone.get_by_test_id(control).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, control
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        if is_mobile:
            screenshot(phone, "375-open")

        bot_messages(phone).last.get_by_role("link", name="Use of cookies").click()

        expect(phone.get_by_test_id("chat-panel")).to_be_hidden()
        expect(phone.locator("#use-of-cookies")).to_be_in_viewport()

        open_chat(phone)
        phone.get_by_test_id("chat-panel-notice").get_by_role("link").click()
        expect(phone.get_by_test_id("chat-panel")).to_be_hidden()
        expect(phone.get_by_test_id("chat-storage-notice")).to_be_in_viewport()
    finally:
        context.close()


FAILURES = {
    "connection refused": lambda route: route.abort("connectionrefused"),
    "server error": lambda route: route.fulfill(status=500, body="Internal Server Error"),
    "not a list of replies": lambda route: route.fulfill(
        status=200, content_type="application/json", body='{"unexpected": true}'
    ),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_an_unreachable_assistant_gets_a_friendly_message_and_a_retry(
    page: Any, fake_rasa: FakeRasa, failure: str
) -> None:
    from playwright.sync_api import expect

    page.route("**/webhooks/rest/webhook", FAILURES[failure])
    open_chat(page)
    ask(page, "hello")

    error = page.get_by_test_id("chat-error")
    expect(error).to_contain_text("can't reach the assistant right now")
    expect(page.get_by_test_id("chat-typing")).to_be_hidden()
    if failure == "connection refused":
        screenshot(page, "desktop-unreachable")

    page.unroute("**/webhooks/rest/webhook")
    page.get_by_test_id("chat-retry").click()

    expect(error).to_have_count(0)
    expect(bot_messages(page).last).to_have_text("Assistant: You said: hello")
    expect(user_messages(page)).to_have_count(1)
    assert fake_rasa.messages() == ["hello"]


def test_typing_stops_at_the_chat_limit_and_the_hint_says_so(
    page: Any, fake_rasa: FakeRasa
) -> None:
    """The page carries the chat channel's limit (CHAT_MAX_MESSAGE_LENGTH, default 2,000)."""
    from playwright.sync_api import expect

    open_chat(page)
    limit = int(page.get_by_test_id("chat-widget").get_attribute("data-max-length"))
    assert limit == DEFAULT_MAX_MESSAGE_LENGTH
    message_input = page.get_by_test_id("chat-input")
    hint = page.get_by_test_id("chat-input-hint")
    message_input.focus()

    page.keyboard.insert_text("x" * (limit - 30))
    expect(hint).to_have_text("30 characters left")
    page.keyboard.insert_text("y" * 100)  # a paste that does not fit is cut at the limit

    assert len(message_input.input_value()) == limit
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("a message can be at most 2,000 characters")
    expect(hint).to_have_attribute("aria-live", "polite")
    expect(message_input).to_have_attribute("aria-describedby", "chat-input-hint")
    screenshot(page, "length-limit")

    message_input.press("Enter")
    expect(user_messages(page)).to_have_count(1)
    expect(bot_messages(page)).to_have_count(1)
    assert [len(message) for message in fake_rasa.messages()] == [limit]
    expect(hint).to_have_text("")


def test_empty_messages_are_not_sent(page: Any, fake_rasa: FakeRasa) -> None:
    from playwright.sync_api import expect

    open_chat(page)
    message_input = page.get_by_test_id("chat-input")
    message_input.fill("   ")
    message_input.press("Enter")
    expect(page.get_by_test_id("chat-input-hint")).to_have_text("Type a message first.")
    assert fake_rasa.received == []
