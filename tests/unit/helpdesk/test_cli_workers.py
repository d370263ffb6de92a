"""`helpdesk serve --workers N` hands N to Sanic and refuses nonsense."""

from __future__ import annotations

from typing import Any

import pytest

from bot.helpdesk import cli
from bot.helpdesk.settings import Settings
from bot.site.settings import SiteSettings


def test_serve_passes_the_number_of_workers_to_sanic(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: dict[str, Any] = {}

    class FakeApp:
        def run(self, **kwargs: Any) -> None:
            ran.update(kwargs)

    monkeypatch.setattr(cli, "migrate", lambda url: None)
    monkeypatch.setattr(cli, "_count_staff", _one_staff)
    monkeypatch.setattr("bot.helpdesk.app.create_app", lambda settings, site: FakeApp())
    assert cli.main(["serve", "--port", "8123", "--workers", "3"]) == 0
    assert ran["workers"] == 3 and ran["port"] == 8123


async def _one_staff(database_url: str) -> int:
    return 1


def test_serve_refuses_zero_workers() -> None:
    assert cli.serve(Settings(), SiteSettings(), "127.0.0.1", 8000, workers=0) == 2
