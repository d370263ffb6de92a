"""The widget's static files: content types, cache headers, validators, nothing else served."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sanic import Sanic

from bot.site import SiteSettings, create_site_blueprint
from bot.site.assets import load_assets


def make_app() -> Sanic:
    app = Sanic(f"site_assets_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(create_site_blueprint(SiteSettings()))
    return app


async def asset_url(app: Sanic, name: str) -> str:
    _, page = await app.asgi_client.get("/")
    match = re.search(rf'"(/site-assets/{re.escape(name)}\?v=[0-9a-f]+)"', page.text)
    assert match, f"the page links {name}"
    return match.group(1)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("widget.js", "text/javascript; charset=utf-8"),
        ("widget.css", "text/css; charset=utf-8"),
        ("site.css", "text/css; charset=utf-8"),
    ],
)
async def test_linked_assets_are_served_with_their_type_and_cached_for_long(
    name: str, content_type: str
) -> None:
    app = make_app()
    url = await asset_url(app, name)

    _, response = await app.asgi_client.get(url)

    assert response.status == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.body == load_assets()[name].body


async def test_an_asset_without_its_current_version_must_be_revalidated() -> None:
    _, response = await make_app().asgi_client.get("/site-assets/widget.js?v=old")

    assert response.status == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"] == load_assets()["widget.js"].etag


async def test_a_matching_etag_gets_not_modified_without_a_body() -> None:
    etag = load_assets()["widget.css"].etag

    _, response = await make_app().asgi_client.get(
        "/site-assets/widget.css", headers={"If-None-Match": etag}
    )

    assert response.status == 304
    assert response.body == b""


@pytest.mark.parametrize(
    "path", ["/site-assets/nope.js", "/site-assets/..%2Fpolicy.py", "/site-assets/index.html"]
)
async def test_only_known_assets_are_served(path: str) -> None:
    _, response = await make_app().asgi_client.get(path)

    assert response.status == 404


def test_a_changed_file_gets_a_new_version(tmp_path: Path) -> None:
    directory = tmp_path
    (directory / "a.js").write_text("one", encoding="utf-8")
    first = load_assets(directory)["a.js"].version
    (directory / "a.js").write_text("two", encoding="utf-8")

    assert load_assets(directory)["a.js"].version != first
