"""A Redis lock store whose ticket operations are atomic across processes.

Rasa serialises the messages of one conversation with a ticket lock: each message takes a
numbered ticket and waits until it is the oldest one. Rasa 3.6's `RedisLockStore` stores that
lock as one JSON value and changes it by reading, changing and writing it back in separate
commands. Within one process that is safe (its Redis client is synchronous, so nothing runs in
between), but two processes (two Sanic workers, or two machines) that receive a message of the
same conversation at the same moment can both read "no lock", both take ticket 0, and both
process their message at once: the second save then drops or misplaces events.

`AtomicRedisLockStore` keeps Rasa's lock format and algorithm, but makes every change to a lock
one Redis transaction (WATCH / MULTI / EXEC, retried when another process changed the lock in
between), gives every lock key an expiry (a process that dies mid-turn leaves no key behind
forever), and polls a busy lock every `poll_seconds` (default 0.05 s) instead of Rasa's fixed
1 s, which otherwise adds up to a second to every queued message.

endpoints.production.yml:

    lock_store:
      type: bot.stores.lock_store.AtomicRedisLockStore
      url: ${REDIS_HOST}
      ...
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.05
# Short enough that a dead Redis costs a turn seconds, not Rasa's 10 s default, per command.
DEFAULT_SOCKET_TIMEOUT_SECONDS = 2.0
# A lock key outlives its newest ticket by this much, then Redis forgets it.
KEY_EXPIRY_MARGIN_SECONDS = 60


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock, with each read-change-write done as one transaction."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        options: dict[str, Any] = {}
        if endpoint_config is not None:
            options.update(endpoint_config.kwargs)
            options.setdefault("host", endpoint_config.url or "localhost")
        options.update(kwargs)
        self.poll_seconds = float(options.pop("poll_seconds", DEFAULT_POLL_SECONDS))
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT_SECONDS)
        options["socket_timeout"] = float(options["socket_timeout"])
        allowed = {
            "host", "port", "db", "username", "password", "use_ssl", "ssl_certfile",
            "ssl_keyfile", "ssl_ca_certs", "key_prefix", "socket_timeout",
        }  # fmt: skip
        super().__init__(**{k: v for k, v in options.items() if k in allowed})

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Any]) -> Any:
        """Apply `change` to the stored lock (a new one if none) in one transaction.

        `change` returns a value for the caller; the lock is deleted when no ticket is left,
        otherwise saved with an expiry after its last ticket's.
        """
        key = self._key(conversation_id)
        outcome: list[Any] = []

        def transaction(pipe: Any) -> None:
            outcome.clear()
            raw = pipe.get(key)
            lock = (
                TicketLock.from_dict(json.loads(raw)) if raw else self.create_lock(conversation_id)
            )
            outcome.append(change(lock))
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                expires = max(ticket.expires for ticket in lock.tickets)
                pipe.set(key, lock.dumps())
                pipe.expireat(key, int(expires) + KEY_EXPIRY_MARGIN_SECONDS)
            else:
                pipe.delete(key)

        self.red.transaction(transaction, key)
        return outcome[0] if outcome else None

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            number: int = self._change(
                conversation_id, lambda lock: lock.issue_ticket(lock_lifetime)
            )
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return number

    def update_lock(self, conversation_id: str) -> None:
        # Expired tickets are removed by every change; only write when a lock exists.
        if self.red.exists(self._key(conversation_id)):
            self._change(conversation_id, lambda lock: None)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # One transaction: remove the ticket, and the key with it when nobody else waits.
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncIterator[TicketLock]:
        """Rasa's `lock()`, polling every `poll_seconds` unless told otherwise."""
        wait = self.poll_seconds if wait_time_in_seconds is None else wait_time_in_seconds
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait)
        finally:
            self.cleanup(conversation_id, ticket)
