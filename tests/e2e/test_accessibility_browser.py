"""The public site and the /verify page pass axe-core with no serious or critical violation, at
desktop width and on a 375-pixel phone screen.

axe-core (pinned in scripts/ensure-axe-core.sh, installed by `make browser` into node_modules/)
is injected by Playwright into each page as it is shown: the policy page (top, the policy, the
"what the chat stores" section, the chat open), and the verification page empty and after a
refused code. The help desk serves both, as in production (the site at /, the page at /verify).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium
from tests.support.ports import free_port
from tests.support.processes import start_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
WIDTHS = {"desktop": (1280, 800), "phone": (375, 740)}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("a11y-helpdesk")
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'helpdesk.db'}",
        "HELPDESK_SERVICE_TOKEN": secrets.token_urlsafe(32),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # the chat only opens, nothing is sent
        "HELPDESK_ENV": os.environ.get("HELPDESK_ENV", "development"),
    }
    server = start_server(
        "a11y-helpdesk",
        [str(BIN / "helpdesk"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        ARTIFACTS / "logs",
        ROOT,
    )
    try:
        server.wait_until_answering(f"http://127.0.0.1:{port}/verify", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing at {AXE}: run `make browser`")
    with chromium() as launched:
        yield launched


def _violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [violation for violation in found if violation.get("impact") in BLOCKING]


def _report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        lines.extend(
            f"    {node['target']} {node.get('failureSummary', '')}".replace("\n", " ")
            for node in violation["nodes"][:5]
        )
    return "\n".join(lines)


def _home(page: Any, url: str) -> None:
    page.goto(f"{url}/")
    page.locator("#chat[data-ready=true]").wait_for(state="attached")


def _policy(page: Any, url: str) -> None:
    page.goto(f"{url}/#policy")
    page.locator("#policy").wait_for()


def _chat_open(page: Any, url: str) -> None:
    _home(page, url)
    page.get_by_test_id("chat-launcher").click()
    page.get_by_test_id("chat-panel").wait_for(state="visible")


def _what_the_chat_stores(page: Any, url: str) -> None:
    page.goto(f"{url}/#chat-privacy")
    page.get_by_test_id("chat-storage-notice").wait_for()


def _verify(page: Any, url: str) -> None:
    page.goto(f"{url}/verify")
    page.locator("form").first.wait_for()


def _verify_refused(page: Any, url: str) -> None:
    page.goto(f"{url}/verify?reference=PR-7KQ2-M9XD")
    page.locator("input[name=code]").fill("123456")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.get_by_test_id("verify-error").wait_for()  # no such ticket: the refusal is shown


VIEWS: dict[str, Callable[[Any, str], None]] = {
    "home": _home,
    "policy": _policy,
    "chat-open": _chat_open,
    "what-the-chat-stores": _what_the_chat_stores,
    "verify": _verify,
    "verify-refused": _verify_refused,
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", VIEWS)
def test_the_page_has_no_serious_or_critical_accessibility_violation(
    browser: Any, site_url: str, view: str, width: str
) -> None:
    w, h = WIDTHS[width]
    # bypass_csp: the pages allow only their own scripts, and axe-core is injected inline
    context = browser.new_context(viewport={"width": w, "height": h}, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        VIEWS[view](page, site_url)
        violations = _violations(page)
        if violations:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"a11y-{view}-{width}.png"), full_page=True)
        assert not violations, f"{view} at {w}px:\n{_report(violations)}"
    finally:
        context.close()


def test_the_scan_catches_a_critical_violation_when_there_is_one(
    browser: Any, site_url: str
) -> None:
    """The harness itself: a button with no name on the page is reported as critical."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    try:
        page = context.new_page()
        _home(page, site_url)
        page.evaluate("document.body.append(document.createElement('button'))")
        assert [v["id"] for v in _violations(page)] == ["button-name"]
    finally:
        context.close()
