"""A request whose URL the HTTP parser rejects gets a 400, not a dropped connection (issue 16).

Sanic 21.12 parses the URL while it builds the request object. A request target with raw
non-ASCII bytes (clients must percent-encode them) makes that fail, and Sanic's error path then
builds a stand-in request from the same URL and fails again, so the connection closes with no
answer at all. `LenientUrlRequest` builds such a request on the path `/` instead and marks it;
`refuse_invalid_url`, run on Sanic's `http.lifecycle.request` signal (before routing), refuses it
with 400 through the app's error handler.
"""

from __future__ import annotations

from typing import Any

from httptools.parser.errors import HttpParserInvalidURLError
from sanic.exceptions import InvalidUsage
from sanic.request import Request

PLACEHOLDER_URL = b"/"


class LenientUrlRequest(Request):
    """Sanic's request, built even when its URL cannot be parsed (then `url_is_invalid`)."""

    def __init__(self, url_bytes: bytes, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(url_bytes, *args, **kwargs)
            invalid = False
        except HttpParserInvalidURLError:
            super().__init__(PLACEHOLDER_URL, *args, **kwargs)
            invalid = True
        self.ctx.url_is_invalid = invalid


async def refuse_invalid_url(request: Request) -> None:
    """Handler of the `http.lifecycle.request` signal."""
    if getattr(request.ctx, "url_is_invalid", False):
        raise InvalidUsage(
            "The URL is not valid: characters outside ASCII must be percent-encoded."
        )
