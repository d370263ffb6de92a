"""The action server: rasa_sdk's Sanic app behind a shared secret only Rasa knows.

`python -m actions.server --port 5055` replaces `rasa run actions --actions actions`. Every
request except GET /health must carry `X-Action-Token: $ACTION_SERVER_TOKEN` (Rasa sends it
from `action_endpoint: headers:` in endpoints*.yml); anything else gets 401 before an action
runs. The server binds 127.0.0.1 unless told otherwise, and refuses to start (naming the
variable) when its settings are missing or unsafe outside development.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from actions.domain import DEFAULT_DOMAIN_PATH, load_domain, with_domain
from actions.settings import action_server_settings, helpdesk_settings
from bot.contract import ACTION_TOKEN_HEADER
from bot.settings_env import SettingsError

OPEN_PATHS = frozenset({"/health"})
WEBHOOK_PATH = "/webhook"
DEFAULT_PORT = 5055

security_log = logging.getLogger("security")


def create_app(
    action_token: str, actions_package: str = "actions", domain: Mapping[str, Any] | None = None
) -> Sanic:
    """rasa_sdk's app for `actions_package`, refusing requests without `action_token`, and
    giving calls that come without a domain `domain` (actions/domain.py)."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app = create_sdk_app(actions_package, cors_origins="")
    expected = action_token.encode()

    @app.on_request
    async def require_action_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get(ACTION_TOKEN_HEADER) or "").encode()
        if given and hmac.compare_digest(given, expected):
            return None
        security_log.warning(
            json.dumps(
                {
                    "event": "action_server_refused",
                    "status": 401,
                    "path": request.path,
                    "client": request.ip,
                }  # fmt: skip
            )
        )
        return response.json(
            {"error": "unauthorized", "message": f"The {ACTION_TOKEN_HEADER} header is required."},
            status=401,
        )

    # After the token check: nothing unauthenticated is parsed.
    if domain is not None:

        @app.on_request
        async def add_domain(request: Request) -> None:
            if request.method == "POST" and request.path == WEBHOOK_PATH:
                try:
                    action_call = request.json
                except Exception:
                    return  # rasa_sdk answers a body that is not JSON
                with_domain(action_call, domain)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="actions.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--actions", default="actions", help="the package of actions")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument(
        "--domain",
        type=Path,
        default=DEFAULT_DOMAIN_PATH,
        help="the domain the model was trained with (default domain.yml): Rasa does not send it",
    )
    args = parser.parse_args(argv)
    try:
        settings = action_server_settings()
        helpdesk_settings()  # fail at start, not at the first ticket, if its token is unsafe
        domain = load_domain(args.domain)
    except (SettingsError, FileNotFoundError) as error:
        raise SystemExit(f"The action server refuses to start: {error}") from None
    logging.basicConfig(level=logging.INFO)
    from rasa_sdk.plugin import plugin_manager

    app = create_app(settings.action_token, args.actions, domain)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.run(
        host=args.host, port=args.port, workers=max(1, args.workers), access_log=False, motd=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
