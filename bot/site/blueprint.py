"""The public site: the privacy policy page at `/` with the chat widget, and its static files."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sanic import Blueprint, Request, response
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse

from bot.site.assets import ASSET_URL_PREFIX, Asset, load_assets
from bot.site.policy import load_policy
from bot.site.settings import SiteSettings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def content_security_policy(settings: SiteSettings) -> str:
    """Only this site's own files run; the widget talks to this site and to Rasa only."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {settings.rasa_origin}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        )
    )


def render_page(settings: SiteSettings, assets: dict[str, Asset]) -> str:
    policy = load_policy(settings.policy_path, settings.sections_path)
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
    )
    return environment.get_template("index.html").render(
        policy_html=Markup(policy.html),
        sections=policy.sections,
        rasa_webhook_url=settings.rasa_webhook_url,
        max_message_length=settings.max_message_length,
        retention_days=settings.conversation_retention_days,
        ticket_retention_days=settings.ticket_retention_days,
        asset_urls={name: asset.url for name, asset in assets.items()},
    )


def create_site_blueprint(settings: SiteSettings | None = None) -> Blueprint:
    """Build the site: reads the policy and assets now, so a broken policy fails at startup."""
    settings = settings or SiteSettings.from_env()
    assets = load_assets()
    page = render_page(settings, assets)
    page_headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }
    blueprint = Blueprint("public_site")

    @blueprint.route("/", methods=["GET", "HEAD"], name="page")
    async def show_page(request: Request) -> HTTPResponse:
        return response.html(page, headers=page_headers)

    @blueprint.route(f"{ASSET_URL_PREFIX}/<name:str>", methods=["GET", "HEAD"], name="asset")
    async def serve_asset(request: Request, name: str) -> HTTPResponse:
        asset = assets.get(name)
        if asset is None:
            raise NotFound(f"No site asset named {name!r}")
        headers = {
            "ETag": asset.etag,
            "Cache-Control": asset.cache_control(request.args.get("v")),
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == asset.etag:
            return HTTPResponse(status=304, headers=headers)
        return HTTPResponse(asset.body, headers=headers, content_type=asset.content_type)

    return blueprint
