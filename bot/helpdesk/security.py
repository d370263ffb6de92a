"""Security headers on every /api answer, and the security log: one JSON line per event.

Log lines go to the `security` logger (login success and failure, every 401/403/429, ticket
views and CSV exports), so an operator can ship them apart from the application log.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from bot.helpdesk.models import utcnow

if TYPE_CHECKING:  # the services import `event` without loading the web framework
    from sanic import Request
    from sanic.response import BaseHTTPResponse

log = logging.getLogger("security")
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
REFUSED = frozenset({401, 403, 429})


def event(name: str, **fields: Any) -> None:
    """One structured line: the event, when, and what the caller gives (never a password)."""
    record = {"event": name, "at": utcnow().isoformat(), **fields}
    log.warning(json.dumps(record, default=str, sort_keys=True))


async def on_response(request: Request, response: BaseHTTPResponse) -> None:
    """Registered once on the app: headers for /api, a log line for every refusal."""
    if request.path.startswith("/api/"):
        response.headers.update(API_HEADERS)
    if response.status in REFUSED:
        event(
            "request_refused", status=response.status, method=request.method,
            path=request.path, client=request.ip,
        )  # fmt: skip
