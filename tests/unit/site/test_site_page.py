"""The public page at `/`: the policy with its anchors, the contents, the chat and its notice."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sanic import Sanic

from bot.contract import DEFAULT_TICKET_RETENTION_DAYS
from bot.site import SiteSettings, create_site_blueprint

POLICY_PATH = Path(__file__).resolve().parents[3] / "data" / "policy" / "privacy-policy.md"
# The anchors of docs/architecture.md ("Policy sections and anchors"): the contract the FAQ
# answers' citations rely on.
CONTRACT_ANCHORS = [
    "protection-policy",
    "applicable-scope",
    "provision-of-personal-information",
    "intended-use",
    "non-provision-to-third-parties",
    "joint-use",
    "request-to-customers",
    "use-of-cookies",
    "modifying-registered-data",
    "remarks",
]


class ElementCollector(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    def with_attribute(self, name: str, value: str) -> list[tuple[str, dict[str, str]]]:
        return [(tag, attrs) for tag, attrs in self.elements if attrs.get(name) == value]

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text_parts))


def make_app(settings: SiteSettings | None = None) -> Sanic:
    app = Sanic(f"site_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(create_site_blueprint(settings or SiteSettings(rasa_url="http://rasa.test:5005")))
    return app


async def fetch_page(app: Sanic) -> tuple[str, ElementCollector]:
    _, response = await app.asgi_client.get("/")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    page = ElementCollector()
    page.feed(response.text)
    return response.text, page


async def test_the_page_has_a_friendly_header_and_one_main_heading() -> None:
    _, page = await fetch_page(make_app())

    headings = [attrs for tag, attrs in page.elements if tag == "h1"]
    assert len(headings) == 1
    assert "Your personal information, explained" in page.text
    assert "ask the privacy assistant in the corner" in page.text


@pytest.mark.parametrize("anchor", CONTRACT_ANCHORS)
async def test_every_policy_section_has_its_anchor_once(anchor: str) -> None:
    _, page = await fetch_page(make_app())

    assert len(page.with_attribute("id", anchor)) == 1


async def test_the_contents_link_to_every_section_in_policy_order() -> None:
    _, page = await fetch_page(make_app())

    links = [attrs["href"] for tag, attrs in page.elements if tag == "a" and "href" in attrs]
    in_contents = [href[1:] for href in links if href[1:] in CONTRACT_ANCHORS]
    assert in_contents[: len(CONTRACT_ANCHORS)] == CONTRACT_ANCHORS


async def test_the_policy_text_is_on_the_page() -> None:
    _, page = await fetch_page(make_app())

    for sentence in (
        "CASIO does not provide the personal information it holds to third parties",
        'Some services offered by CASIO websites use "cookies".',
        "Tokyo District Court shall be the agreed court of jurisdiction.",
        "Most recent amendment: May 9, 2016",
    ):
        assert sentence in page.text
    headings = re.findall(r"^#+ (.+)$", POLICY_PATH.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings, "the policy should have headings"
    for heading in headings:
        assert heading.strip() in page.text


async def test_a_cited_section_holds_its_own_text() -> None:
    html, _ = await fetch_page(make_app())

    cookies = re.search(r'<section[^>]*id="use-of-cookies"[^>]*>(.*?)</section>', html, re.S)
    assert cookies is not None
    assert "Customers may disable" in cookies.group(1)
    assert "Modifying Registered Data" not in cookies.group(1)


async def test_the_storage_notice_says_what_the_chat_keeps_and_for_how_long() -> None:
    _, page = await fetch_page(make_app())

    notice = page.with_attribute("data-testid", "chat-storage-notice")
    assert len(notice) == 1
    text = page.text
    assert "kept in the assistant's conversation store" in text
    assert "improve the assistant" in text
    assert "local storage" in text and "Start over" in text
    assert "Personal Information Protection Help Desk as a ticket" in text
    assert "deleted automatically 30 days after its last message" in text
    assert "delete this conversation" in text
    assert "request the deletion of your data" in text
    assert page.with_attribute("data-testid", "chat-panel-notice"), "a short notice in the panel"


async def test_the_chat_markup_is_accessible_and_knows_where_rasa_is() -> None:
    _, page = await fetch_page(make_app(SiteSettings(rasa_url="http://rasa.test:5005/")))

    [(_, widget)] = page.with_attribute("id", "chat")
    assert widget["data-rasa-webhook-url"] == "http://rasa.test:5005/webhooks/rest/webhook"
    [(_, log)] = page.with_attribute("id", "chat-log")
    assert (log["role"], log["aria-live"]) == ("log", "polite")
    [(_, launcher)] = page.with_attribute("id", "chat-launcher")
    assert launcher["aria-controls"] == "chat-panel"
    assert launcher["aria-expanded"] == "false"
    [(_, close)] = page.with_attribute("id", "chat-close")
    assert close["aria-label"]
    [(_, message_input)] = page.with_attribute("id", "chat-input")
    assert message_input["maxlength"] == "2000"
    assert page.with_attribute("for", "chat-input"), "the input has a label"


async def test_the_widget_gets_the_chat_channels_length_limit_from_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAT_MAX_MESSAGE_LENGTH", "750")
    app = Sanic(f"site_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(create_site_blueprint())

    _, page = await fetch_page(app)

    [(_, widget)] = page.with_attribute("id", "chat")
    [(_, message_input)] = page.with_attribute("id", "chat-input")
    assert (widget["data-max-length"], message_input["maxlength"]) == ("750", "750")
    assert message_input["aria-describedby"] == "chat-input-hint"


async def test_rasa_url_comes_from_the_environment_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RASA_URL", "https://chat.example.org")
    app = Sanic(f"site_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(create_site_blueprint())

    _, page = await fetch_page(app)

    [(_, widget)] = page.with_attribute("id", "chat")
    assert widget["data-rasa-webhook-url"] == "https://chat.example.org/webhooks/rest/webhook"


async def test_nothing_on_the_page_loads_from_another_host() -> None:
    app = make_app()
    _, page = await fetch_page(app)

    loaded = [
        attrs.get("src") or attrs.get("href", "")
        for tag, attrs in page.elements
        if tag in ("script", "img", "iframe", "link", "source", "video", "audio")
    ]
    assert loaded, "the page loads its own scripts and styles"
    for url in loaded:
        assert url.startswith("/") or url.startswith("data:"), url
        assert not url.startswith("//"), url
    for url in [url for url in loaded if url.startswith("/site-assets/")]:
        _, response = await app.asgi_client.get(url)
        assert response.status == 200
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", response.text, re.I), url
        assert "@import" not in response.text


async def test_the_page_only_allows_its_own_scripts_and_rasa() -> None:
    _, response = await make_app().asgi_client.get("/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self' http://rasa.test:5005" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"


async def test_head_requests_are_answered() -> None:
    _, response = await make_app().asgi_client.head("/")

    assert response.status == 200


async def test_the_retention_stated_on_the_page_is_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page and the purge read the same variable: what the page says is what happens."""
    from bot.helpdesk.settings import Settings

    development = {"HELPDESK_ENV": "development"}  # Settings.from_env(environ) fails closed
    environment = {
        **development,
        "CONVERSATION_RETENTION_DAYS": "45",
        "RASA_URL": "http://rasa.test:5005",
    }
    purge = Settings.from_env(environment).conversation_retention_days
    _, page = await fetch_page(make_app(SiteSettings.from_env(environment)))
    assert purge == 45
    assert f"deleted automatically {purge} days after its last message" in page.text
    assert f"deleted {purge} days after your last message" in page.text

    _, default_page = await fetch_page(make_app(SiteSettings.from_env(development)))
    default = Settings.from_env(development).conversation_retention_days
    assert f"deleted automatically {default} days after its last message" in default_page.text


@pytest.mark.parametrize("days", [None, "400"])
async def test_the_page_states_what_is_kept_for_how_long_and_how_to_delete_it(
    days: str | None,
) -> None:
    """Encrypted messages and form answers, tickets trimmed after the ticket retention period
    (the setting the purge applies, default or not), and the two ways to have it deleted."""
    from bot.helpdesk.settings import Settings

    environment = {"HELPDESK_ENV": "development", "RASA_URL": "http://rasa.test:5005"}
    if days is not None:
        environment["TICKET_RETENTION_DAYS"] = days
    purge = Settings.from_env(environment).ticket_retention_days
    _, page = await fetch_page(make_app(SiteSettings.from_env(environment)))
    text = " ".join(page.text.split())

    assert purge == (int(days) if days else DEFAULT_TICKET_RETENTION_DAYS)
    assert f"for {purge} days after it is closed" in text
    assert "are stored encrypted" in text and "your name, email address" in text
    assert "delete this conversation" in text and "the deletion of your data" in text
