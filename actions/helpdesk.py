"""A small client for the help desk API (docs/architecture.md) and its aiohttp implementation.

The actions depend on the `HelpDeskClient` protocol only, so tests can hand them a fake.
`HttpHelpDeskClient` uses a short timeout and retries connection errors, timeouts and 5xx
answers, never 4xx answers. Every retry of `open_ticket` sends the same Idempotency-Key, so
the help desk stores at most one ticket however many attempts reach it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol
from urllib.parse import quote

import aiohttp

from actions.settings import HelpDeskSettings
from actions.slots import as_text
from bot.contract import Origin

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExcerptLine:
    sender: str  # "customer" or "bot"
    text: str
    timestamp: str  # ISO 8601, UTC

    def as_json(self) -> dict[str, str]:
        return {"sender": self.sender, "text": self.text, "timestamp": self.timestamp}


@dataclass(frozen=True)
class TicketRequest:
    type: str
    requester_name: str
    email: str
    details: str
    service: str | None = None
    conversation_id: str | None = None
    conversation_excerpt: list[ExcerptLine] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "requester_name": self.requester_name,
            "email": self.email,
            "phone": None,
            "membership_id": None,
            "service": self.service,
            "details": self.details,
            "origin": Origin.CHAT.value,
            "conversation_id": self.conversation_id,
            "conversation_excerpt": [line.as_json() for line in self.conversation_excerpt],
        }


@dataclass(frozen=True)
class OpenedTicket:
    reference: str
    type: str
    status: str
    email: str
    created_at: str
    due_at: str


@dataclass(frozen=True)
class TicketStatus:
    reference: str
    type: str
    status: str
    status_label: str
    created_at: str
    updated_at: str
    due_at: str


@dataclass(frozen=True)
class VerificationOutcome:
    """The help desk's answer to a code typed in the chat."""

    reference: str
    result: str  # verified, wrong, expired, locked or not_pending
    attempts_left: int = 0


class HelpDeskError(Exception):
    """The help desk did not do what was asked; nothing may be reported as stored."""


class HelpDeskUnavailable(HelpDeskError):
    """No usable answer: connection refused, timeout, 5xx or an unreadable body, after retries."""


class HelpDeskRejected(HelpDeskError):
    """The help desk answered with a 4xx error (not retried)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class TicketNotFound(HelpDeskRejected):
    """No ticket with this reference and email (the same answer for either mistake)."""


class HelpDeskClient(Protocol):
    async def open_ticket(self, request: TicketRequest, idempotency_key: str) -> OpenedTicket:
        """Store a ticket (or return the one already stored under `idempotency_key`)."""
        ...

    async def ticket_status(
        self, reference: str, email: str, conversation_id: str | None = None
    ) -> TicketStatus:
        """The status of ticket `reference` when `email` matches; TicketNotFound otherwise.
        `conversation_id` lets the help desk keep one lookup budget per conversation."""
        ...

    async def erase_conversation(self, conversation_id: str) -> int:
        """Delete this conversation from the tracker store; the number of events deleted."""
        ...

    async def verify_code(
        self, reference: str, code: str, conversation_id: str
    ) -> VerificationOutcome:
        """Check a code typed in conversation `conversation_id` for the ticket it opened."""
        ...


class _RetryableFailure(Exception):
    pass


def _rejection(status: int, body: Any) -> HelpDeskRejected:
    payload = body if isinstance(body, dict) else {}
    fields = payload.get("fields")
    error_class = TicketNotFound if status == 404 else HelpDeskRejected
    return error_class(
        status,
        as_text(payload.get("error")) or f"http_{status}",
        as_text(payload.get("message")) or "no reason given",
        {str(key): as_text(value) or "" for key, value in fields.items()}
        if isinstance(fields, dict)
        else None,
    )


class HttpHelpDeskClient:
    """`HelpDeskClient` over HTTP with aiohttp."""

    def __init__(
        self,
        base_url: str,
        service_token: str,
        timeout_seconds: float = 3.0,
        retries: int = 2,
        retry_delay_seconds: float = 0.2,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._service_token = service_token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._retries = max(0, retries)
        self._retry_delay_seconds = retry_delay_seconds

    @classmethod
    def from_settings(cls, settings: HelpDeskSettings) -> HttpHelpDeskClient:
        return cls(
            settings.url,
            settings.service_token,
            timeout_seconds=settings.timeout_seconds,
            retries=settings.retries,
        )

    async def open_ticket(self, request: TicketRequest, idempotency_key: str) -> OpenedTicket:
        body = await self._request(
            "POST",
            "/api/v1/tickets",
            json_body=request.as_json(),
            extra_headers={"Idempotency-Key": idempotency_key},
        )
        try:
            return OpenedTicket(
                reference=str(body["reference"]),
                type=str(body["type"]),
                status=str(body["status"]),
                email=str(body["email"]),
                created_at=str(body["created_at"]),
                due_at=str(body["due_at"]),
            )
        except (KeyError, TypeError) as error:
            raise HelpDeskUnavailable(f"unexpected ticket body: {error!r}") from error

    async def ticket_status(
        self, reference: str, email: str, conversation_id: str | None = None
    ) -> TicketStatus:
        # The email goes in the body, never the URL (which proxies log).
        path = f"/api/v1/tickets/{quote(reference, safe='')}/status"
        lookup = {"email": email, "conversation_id": conversation_id}
        body = await self._request("POST", path, json_body=lookup)
        try:
            return TicketStatus(
                reference=str(body["reference"]),
                type=str(body["type"]),
                status=str(body["status"]),
                status_label=str(body["status_label"]),
                created_at=as_text(body.get("created_at")) or "",
                updated_at=as_text(body.get("updated_at")) or "",
                due_at=as_text(body.get("due_at")) or "",
            )
        except (KeyError, TypeError) as error:
            raise HelpDeskUnavailable(f"unexpected status body: {error!r}") from error

    async def erase_conversation(self, conversation_id: str) -> int:
        path = f"/api/v1/conversations/{quote(conversation_id, safe='')}"
        body = await self._request("DELETE", path)
        deleted = body.get("events_deleted")
        return deleted if isinstance(deleted, int) else 0

    async def verify_code(
        self, reference: str, code: str, conversation_id: str
    ) -> VerificationOutcome:
        path = f"/api/v1/tickets/{quote(reference, safe='')}/verification"
        attempt = {"code": code, "conversation_id": conversation_id}
        # Not retried: an attempt that reached the help desk counts, and a retry would count
        # the same wrong code twice.
        body = await self._request("POST", path, json_body=attempt, retries=0)
        left = body.get("attempts_left")
        try:
            return VerificationOutcome(
                reference=str(body["reference"]),
                result=str(body["result"]),
                attempts_left=left if isinstance(left, int) else 0,
            )
        except KeyError as error:
            raise HelpDeskUnavailable(f"unexpected verification body: {error!r}") from error

    async def _request(
        self,
        method: str,
        path: str,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
        retries: int | None = None,
    ) -> dict[str, Any]:
        retries = self._retries if retries is None else retries
        headers = {"Authorization": f"Bearer {self._service_token}", "Accept": "application/json"}
        headers.update(extra_headers or {})
        url = self._base_url + path
        last_problem = "no attempt made"
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            for attempt in range(1, retries + 2):
                try:
                    return await self._attempt(session, method, url, headers, json_body, params)
                except _RetryableFailure as failure:
                    last_problem = str(failure)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    last_problem = f"{type(error).__name__}: {error}"
                logger.warning(
                    "help desk %s %s failed (attempt %d of %d): %s",
                    method,
                    path,
                    attempt,
                    retries + 1,
                    last_problem,
                )
                if attempt <= retries:
                    await asyncio.sleep(self._retry_delay_seconds * attempt)
        raise HelpDeskUnavailable(last_problem)

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        headers: dict[str, str],
        json_body: dict[str, Any] | None,
        params: dict[str, str] | None,
    ) -> dict[str, Any]:
        async with session.request(
            method, url, json=json_body, params=params, headers=headers
        ) as response:
            if response.status >= 500:
                raise _RetryableFailure(f"HTTP {response.status}")
            try:
                body = await response.json(content_type=None)
            except ValueError as error:
                if response.status >= 400:
                    raise _rejection(response.status, None) from error
                raise HelpDeskUnavailable(f"unreadable body (HTTP {response.status})") from error
            if response.status >= 400:
                raise _rejection(response.status, body)
            if not isinstance(body, dict):
                raise HelpDeskUnavailable(f"unexpected body (HTTP {response.status})")
            return body
