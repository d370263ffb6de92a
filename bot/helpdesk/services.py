"""The help desk's use cases, written once whatever the entrance (API, console, CLI).

Each function is handed what it works on (repositories, limits, settings values), applies the
rules (validation, idempotency, the domain's changes, rate limits, session lifetimes) and
returns domain objects or raises one of the exceptions below. The adapters in api.py and
console.py only parse the request, call one of these and render the answer; each maps the
exceptions to its own responses in one place.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import io
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from bot.contract import parse_reference
from bot.helpdesk.conversations import ConversationStore
from bot.helpdesk.models import (
    SYSTEM_ACTOR,
    Change,
    CreatedTicket,
    Note,
    StaffSession,
    StaffUser,
    Status,
    Ticket,
    TicketDetail,
    TicketFilter,
    TicketNotFound,
    opened_entry,
    utcnow,
)
from bot.helpdesk.passwords import hash_password_async, verify_password_async
from bot.helpdesk.ratelimit import RateLimit
from bot.helpdesk.references import new_reference
from bot.helpdesk.repository import AlreadyStored, StaffRepository, TicketRepository
from bot.helpdesk.security import event
from bot.helpdesk.totp import Enrolment, SecretBox, SecretUnreadable, matching_step, new_enrolment
from bot.helpdesk.validation import parse_idempotency_key, parse_new_ticket

REFERENCE_ATTEMPTS = 5
CSV_COLUMNS = (
    "reference", "type", "status", "requester_name", "email", "phone", "membership_id",
    "service", "origin", "assignee", "created_at", "due_at", "details",
)  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request body."""


class NoMatchingTicket(LookupError):
    """A status lookup found nothing: the same answer for a wrong email and no such ticket."""

    def __init__(self) -> None:
        super().__init__("No request matches this reference and email address.")


class TooManyLookups(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many status lookups; please try again in a minute.")
        self.retry_after_seconds = retry_after_seconds


class TooManyLogins(Exception):
    """Too many login attempts from this client, or for this username from it; wait."""


class TooManyTickets(Exception):
    """The daily cap of new tickets for this conversation or this email address is reached."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many new requests from this conversation or email address today.")
        self.retry_after_seconds = retry_after_seconds


class LoginRefused(Exception):
    """Wrong username, password or second-factor code, or a disabled account: one answer for
    all (never says which; the security log does)."""


@dataclass(frozen=True)
class StatusLimits:
    """Customer status lookups, limited per conversation and per customer email: every lookup
    reaches us from the action server's address, so an address would be one shared budget."""

    by_conversation: RateLimit
    by_email: RateLimit


@dataclass(frozen=True)
class TicketCaps:
    """New tickets through the API, capped per conversation and per customer email."""

    by_conversation: RateLimit
    by_email: RateLimit


@dataclass(frozen=True)
class LoginLimits:
    """Every login attempt counts before any database read or hashing: per client address,
    and per username from that address."""

    by_client: RateLimit
    by_account: RateLimit


@dataclass(frozen=True)
class SessionLifetime:
    """A session ends after `idle` without use, and `absolute` after login whatever happens."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)


# A session's idle deadline is written back at most this often (not on every request).
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class OpenedSession:
    token: str  # for the cookie or the Authorization header; stored only as a hash
    session: StaffSession


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a request body, for telling a retry from a different request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def open_ticket(
    tickets: TicketRepository,
    payload: Any,
    idempotency_key: str | None,
    actor: str,
    *,
    due_days: int,
    notify: Callable[[Ticket], None],
    caps: TicketCaps | None = None,
) -> CreatedTicket:
    """Open a ticket once per key: a retry with the same body gets the same ticket back, a
    different body under a used key is an IdempotencyConflict. `notify` runs for a new one.
    With `caps`, a new ticket counts against its conversation and email (TooManyTickets).
    Only a stored new ticket is counted, so concurrent retries of one key are never refused;
    the check before storing is not atomic with the count (Rasa's per-conversation lock
    serialises one conversation's tickets; several conversations may overshoot by a few)."""
    key = parse_idempotency_key(idempotency_key)
    new = parse_new_ticket(payload)
    fingerprint = request_fingerprint(payload)
    for _ in range(REFERENCE_ATTEMPTS):
        stored = await tickets.by_key(key)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise IdempotencyConflict(
                    "This Idempotency-Key was already used for a different request."
                )
            return CreatedTicket(stored.ticket, created=False)
        if caps is not None:
            await _check_caps(caps, new.conversation_id, new.email)
        ticket = Ticket.open(new, new_reference(), utcnow(), due_days)
        try:
            await tickets.add(ticket, opened_entry(ticket, actor), key, fingerprint)
        except AlreadyStored:
            continue  # a concurrent retry stored the key first, or the reference was taken
        if caps is not None:
            await _count_new_ticket(caps, new.conversation_id, new.email)
        opened = await tickets.get(ticket.reference)
        assert opened is not None
        notify(opened)
        return CreatedTicket(opened, created=True)
    raise RuntimeError("Could not draw an unused ticket reference")


async def _check_caps(caps: TicketCaps, conversation_id: str | None, email: str) -> None:
    limited = await caps.by_email.is_limited(email.strip().lower())
    if conversation_id and not limited:
        limited = await caps.by_conversation.is_limited(conversation_id)
    if limited:
        raise TooManyTickets(int(caps.by_email.window_seconds))


async def _count_new_ticket(caps: TicketCaps, conversation_id: str | None, email: str) -> None:
    if conversation_id:
        await caps.by_conversation.hit(conversation_id)
    await caps.by_email.hit(email.strip().lower())


async def ticket_status(
    tickets: TicketRepository, limits: StatusLimits, reference: str, email: str, conversation: str
) -> Ticket:
    """A customer's lookup: only with the ticket's email, rate limited per conversation (or
    caller, without one) and per email, so one customer's bad lookups never block another."""
    canonical = parse_reference(reference) or reference.strip().upper()[:32]
    allowed = await limits.by_conversation.hit(conversation)
    allowed = allowed and await limits.by_email.hit(email.strip().lower())
    if not allowed:
        raise TooManyLookups(int(limits.by_email.window_seconds))
    ticket = await tickets.get(canonical)
    if ticket is None or not ticket.matches_email(email.strip()):
        raise NoMatchingTicket()
    return ticket


async def list_tickets(tickets: TicketRepository, filters: TicketFilter) -> list[Ticket]:
    """The queue: by due date, soonest first."""
    return await tickets.list(filters, utcnow())


async def ticket_detail(
    tickets: TicketRepository, reference: str, viewer: str | None = None, via: str = "console"
) -> TicketDetail:
    """The ticket with notes and audit trail; a staff `viewer`'s read is audited after it."""
    detail = await tickets.detail(reference)
    if detail is None:
        raise TicketNotFound(reference)
    if viewer is not None:
        now = utcnow()
        await tickets.update(reference, lambda t: t.read(viewer, "viewed", {"via": via}, now))
        event("ticket_viewed", staff=viewer, reference=reference, via=via)
    return detail


# A formula can also start after a separator, where a spreadsheet splits a cell on ; or ,.
AFTER_SEPARATOR = re.compile(r"([;,])(?=\s*[=+\-@\t\r])")


def csv_safe(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ (or tab, CR) as formulas: prefix those,
    and every such piece after a ; or , (what a spreadsheet may split on), with a quote."""
    text = AFTER_SEPARATOR.sub(r"\1'", "" if value is None else str(value))
    return "'" + text if text.lstrip(" ").startswith(FORMULA_PREFIXES) else text


async def export(
    tickets: TicketRepository, filters: TicketFilter, exporter: str | None = None
) -> str:
    """The queue as CSV, every cell quoted and neutralised; an `exporter`'s export is audited
    on each ticket it contains and in the security log."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    exported = await list_tickets(tickets, filters)
    if exporter is not None:
        now = utcnow()
        detail = {"filters": _filters(filters), "rows": len(exported)}
        for ticket in exported:
            await tickets.update(
                ticket.reference, lambda t: t.read(exporter, "exported", detail, now)
            )
        event("tickets_exported", staff=exporter, rows=len(exported), filters=detail["filters"])
    for ticket in exported:
        row = {
            **{name: getattr(ticket, name, None) for name in CSV_COLUMNS},
            "type": ticket.type.value,
            "status": ticket.status.value,
            "origin": ticket.origin.value,
            "created_at": ticket.created_at.isoformat(),
            "due_at": ticket.due_at.isoformat(),
        }
        writer.writerow([csv_safe(row[name]) for name in CSV_COLUMNS])
    return buffer.getvalue()


def _filters(filters: TicketFilter) -> dict[str, Any]:
    return {
        "status": filters.status.value if filters.status else None,
        "type": filters.type.value if filters.type else None,
        "overdue": filters.overdue,
    }


async def change_status(
    tickets: TicketRepository,
    reference: str,
    status: Status,
    actor: str,
    conversations: ConversationStore | None = None,
) -> Ticket:
    """Move a ticket along the workflow (TransitionRefused if the workflow does not allow it).

    Completing an erasure request also erases the chat it was opened in: its events leave the
    tracker store and the ticket's excerpt becomes "conversation erased on <date>", recorded
    in the audit trail."""
    now = utcnow()
    change = await tickets.update(reference, lambda ticket: ticket.moved_to(status, actor, now))
    ticket = change.ticket
    if conversations is not None and ticket.erases_its_conversation:
        assert ticket.conversation_id is not None
        deleted = await conversations.delete(ticket.conversation_id)
        erased = await tickets.update(
            reference, lambda current: current.conversation_erased(deleted, actor, utcnow())
        )
        ticket = erased.ticket
    return ticket


@dataclass(frozen=True)
class PurgeReport:
    """What a retention run did: the conversations deleted and those kept for open requests."""

    cutoff: datetime
    deleted: dict[str, int]  # conversation id -> events deleted
    kept: list[str]

    @property
    def events(self) -> int:
        return sum(self.deleted.values())


async def purge_conversations(
    tickets: TicketRepository,
    conversations: ConversationStore,
    retention_days: int,
    now: datetime | None = None,
) -> PurgeReport:
    """Delete conversations last active more than `retention_days` ago, except those with a
    request in progress: a form still running, or an open ticket opened from them. Running it
    again deletes nothing more."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    stale = await conversations.inactive_since(cutoff.timestamp())
    in_progress = await tickets.open_conversation_ids()
    in_progress |= await conversations.with_active_form(stale)
    deleted: dict[str, int] = {}
    kept: list[str] = []
    for sender_id in stale:
        if sender_id in in_progress:
            kept.append(sender_id)
            continue
        # Only events older than the cutoff: a customer who came back since keeps the new ones.
        deleted[sender_id] = await conversations.delete(sender_id, up_to=cutoff.timestamp())
    return PurgeReport(cutoff, deleted, kept)


@dataclass(frozen=True)
class TicketRetentionReport:
    """Closed tickets whose requester's details a retention run removed."""

    cutoff: datetime
    trimmed: list[str]  # references


async def remove_personal_data_of_closed_tickets(
    tickets: TicketRepository, retention_days: int, now: datetime | None = None
) -> TicketRetentionReport:
    """Tickets closed and unchanged for more than `retention_days` keep their reference, type,
    status, dates and audit trail, and lose the requester's name, email, phone, membership id,
    details and conversation excerpt. Running it again changes nothing more."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)

    def remove(ticket: Ticket) -> Change:
        # Looked at again under the row lock: staff may have reopened or changed it meanwhile.
        if ticket.is_open or ticket.updated_at >= cutoff or not ticket.keeps_personal_data:
            raise _ChangedMeanwhile(ticket.reference)
        return ticket.personal_data_removed(SYSTEM_ACTOR, now or utcnow())

    trimmed: list[str] = []
    for reference in await tickets.closed_with_personal_data(cutoff):
        try:
            await tickets.update(reference, remove)
        except _ChangedMeanwhile:
            continue
        trimmed.append(reference)
    return TicketRetentionReport(cutoff, trimmed)


class _ChangedMeanwhile(Exception):
    """A ticket no longer due for removal when its row was locked: it is left as it is."""


ERASE_GRACE_SECONDS = 5.0


async def erase_conversation(
    conversations: ConversationStore,
    sender_id: str,
    now: datetime | None = None,
    after_seconds: float = 0.0,
) -> int:
    """The customer asked the chat to delete their conversation: delete its events up to a few
    seconds from `now` (Rasa writes the reply to this very turn just after the request, so
    the API runs this a second time `after_seconds` later)."""
    await asyncio.sleep(after_seconds)
    up_to = (now or utcnow()).timestamp() + ERASE_GRACE_SECONDS
    return await conversations.delete(sender_id, up_to=up_to)


async def assign(
    tickets: TicketRepository, reference: str, assignee: str | None, actor: str
) -> Ticket:
    now = utcnow()
    change = await tickets.update(
        reference, lambda ticket: ticket.assigned_to(assignee, actor, now)
    )
    return change.ticket


async def add_note(tickets: TicketRepository, reference: str, text: str, actor: str) -> Note:
    now = utcnow()
    change = await tickets.update(reference, lambda ticket: ticket.noted(text, actor, now))
    assert change.note is not None
    return change.note


async def record_notification(
    tickets: TicketRepository, reference: str, sent: bool, detail: str
) -> None:
    now = utcnow()
    await tickets.update(reference, lambda ticket: ticket.notified(sent, detail, now))


MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common-passwords.txt"


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why a new staff password is refused, or None: too short, or on the shipped list."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password needs at least {MIN_PASSWORD_LENGTH} characters."
    if password.strip().lower() in _common_passwords():
        return "This password is on the list of common or breached passwords; choose another."
    return None


async def reset_password(staff: StaffRepository, username: str, password: str) -> bool:
    """A new password for `username`, closing all their sessions; False if no such account."""
    changed = await staff.set_password_hash(username, await hash_password_async(password))
    if changed:
        await staff.close_sessions_of(username)
        event("password_reset", staff=username)
    return changed


async def revoke_sessions(staff: StaffRepository, username: str) -> int:
    """Close every session of `username` (a lost laptop, a leaving colleague)."""
    closed = await staff.close_sessions_of(username)
    event("sessions_revoked", staff=username, sessions=closed)
    return closed


async def add_staff(staff: StaffRepository, username: str, password: str) -> StaffUser:
    """A staff account (AlreadyStored if the username is taken)."""
    return await staff.add(username, await hash_password_async(password), utcnow())


async def login(
    staff: StaffRepository,
    limits: LoginLimits,
    username: str,
    password: str,
    client: str,
    lifetime: SessionLifetime,
    *,
    code: str = "",
    box: SecretBox | None = None,
) -> OpenedSession:
    """A new session for the right password (and, for an account enrolled in TOTP, a current
    code not used before). The attempt is counted first (per client, then per client and
    username), before the database read, the Argon2 check (off the event loop) and the code
    check; only a success clears the username's count. A disabled account is refused like a
    wrong password."""
    account_key = f"{client}:{username.lower()}"
    if not (await limits.by_client.hit(client) and await limits.by_account.hit(account_key)):
        event("login_limited", username=username[:100], client=client)
        raise TooManyLogins()
    found = await staff.credentials(username) if username else None
    if not await verify_password_async(found.password_hash if found else None, password) or (
        found is None
    ):
        _refuse(username, client, "password")
    if found.disabled:
        _refuse(username, client, "account_disabled")
    if found.totp_secret is not None:
        await _check_second_factor(staff, found.totp_secret, box, username, code, client)
    event("login_succeeded", username=found.staff.username, client=client)
    await limits.by_account.reset(account_key)
    now = utcnow()
    deadline = min(now + lifetime.idle, now + lifetime.absolute)
    session = StaffSession(found.staff, secrets.token_urlsafe(32), deadline, created_at=now)
    token = secrets.token_urlsafe(32)
    await staff.add_session(token, session, now)
    return OpenedSession(token, session)


def _refuse(username: str, client: str, reason: str) -> NoReturn:
    event("login_failed", username=username[:100], client=client, reason=reason)
    raise LoginRefused()


async def _check_second_factor(
    staff: StaffRepository,
    sealed: str,
    box: SecretBox | None,
    username: str,
    code: str,
    client: str,
) -> None:
    """A current TOTP code (one step of drift either way), each time step accepted once."""
    try:
        secret = box.open(sealed) if box is not None else None
    except SecretUnreadable:
        secret = None
    if secret is None:
        _refuse(username, client, "totp_secret_unreadable")
    step = matching_step(secret, code, utcnow())
    if step is None:
        _refuse(username, client, "totp_code_wrong")
    if not await staff.claim_totp_step(username, step):
        _refuse(username, client, "totp_code_reused")


async def disable_staff(staff: StaffRepository, username: str) -> int | None:
    """Disable an account: its logins are refused and its sessions closed (how many; None if
    there is no such account)."""
    if not await staff.set_disabled(username, utcnow()):
        return None
    closed = await staff.close_sessions_of(username)
    event("staff_disabled", staff=username, sessions=closed)
    return closed


async def enable_staff(staff: StaffRepository, username: str) -> bool:
    enabled = await staff.set_disabled(username, None)
    if enabled:
        event("staff_enabled", staff=username)
    return enabled


async def enrol_totp(staff: StaffRepository, box: SecretBox, username: str) -> Enrolment | None:
    """A new TOTP secret for `username`, stored sealed (replacing any earlier one); returned
    once for the authenticator app. None if there is no such account."""
    enrolment = new_enrolment(username)
    if not await staff.set_totp_secret(username, box.seal(enrolment.secret)):
        return None
    event("totp_enrolled", staff=username)
    return enrolment


async def disable_totp(staff: StaffRepository, username: str) -> bool:
    removed = await staff.set_totp_secret(username, None)
    if removed:
        event("totp_removed", staff=username)
    return removed


async def staff_session(
    staff: StaffRepository, token: str | None, lifetime: SessionLifetime | None = None
) -> StaffSession | None:
    """The session a token opens, unless idle too long or past its absolute lifetime; each use
    moves the idle deadline on (written back at most once a minute)."""
    lifetime = lifetime or SessionLifetime()
    session = await staff.session(token) if token else None
    now = utcnow()
    if token is None or session is None or session.expires_at < now:
        return None
    if session.created_at is None:
        return session
    absolute = session.created_at + lifetime.absolute
    if absolute < now:
        return None
    deadline = min(now + lifetime.idle, absolute)
    if deadline - session.expires_at >= SESSION_TOUCH_INTERVAL:
        await staff.touch_session(token, deadline)
        session = replace(session, expires_at=deadline)
    return session


async def logout(staff: StaffRepository, token: str | None) -> None:
    if token:
        await staff.close_session(token)
