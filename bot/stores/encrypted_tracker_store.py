"""The tracker store both endpoints files use: Rasa's SQL store, personal data encrypted at rest.

`EncryptedSQLTrackerStore` is `ResilientSQLTrackerStore` (a dropped database connection is
replaced, bot/stores/tracker_store.py) whose rows keep the personal parts of each event
encrypted (what is sealed: bot/stores/sealing.py). Rasa only ever sees plain events: they are
sealed as they are written and opened as they are read, so a conversation resumes in the middle
of a form, after a restart too, with the answers given so far. The key is read when the store is
created (Rasa's startup), never at import time; a missing key outside development stops Rasa
with a sentence naming TRACKER_ENCRYPTION_KEY.

endpoints.yml (SQLite) and endpoints.production.yml (PostgreSQL):

    tracker_store:
      type: bot.stores.encrypted_tracker_store.EncryptedSQLTrackerStore
      dialect: sqlite | postgresql
      ...
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.stores.sealing import EventSealer
from bot.stores.tracker_store import ResilientSQLTrackerStore

logger = logging.getLogger(__name__)

# Set on a tracker this store loaded or saved: (id of that tracker, how many of its events are
# stored). The id ties it to that object: a copy (another id) is counted in the database.
_STORED_EVENTS = "_privacy_assistant_stored_events"


def _remember_stored(tracker: DialogueStateTracker, count: int) -> None:
    setattr(tracker, _STORED_EVENTS, (id(tracker), count))


def _forget_stored(tracker: DialogueStateTracker) -> None:
    tracker.__dict__.pop(_STORED_EVENTS, None)


def _known_stored(tracker: DialogueStateTracker) -> int | None:
    stored = getattr(tracker, _STORED_EVENTS, None)
    return stored[1] if stored is not None and stored[0] == id(tracker) else None


class SealedSQLTrackerStore(SQLTrackerStore):
    """Rasa's `SQLTrackerStore` (3.6) reading and writing events through an `EventSealer`.
    `_retrieve` and `save` are Rasa's, with `open` after `json.loads` and `seal` before
    `json.dumps`.

    Rasa's `save` finds the events to write by counting, in the database, the session's events
    already there: the session query again, as a count (a third of a save's CPU). A tracker
    this store loaded (the current session, as every turn does) or saved knows that number
    already, so only a tracker from elsewhere is counted in the database."""

    sealer: EventSealer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sealer = EventSealer.from_env()
        super().__init__(*args, **kwargs)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [self.sealer.open(json.loads(row.data)) for row in rows]
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions:  # the rows the session count would find
                _remember_stored(tracker, len(events))
            return tracker
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        stored = _known_stored(tracker)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=json.dumps(self.sealer.seal(data)),
                    )
                )
            try:
                session.commit()
            except Exception:
                # The commit may have reached the database before the connection broke: a
                # retry must count what is stored, not trust what was known before.
                _forget_stored(tracker)
                raise
        _remember_stored(tracker, len(tracker.events))
        logger.debug("tracker %s stored, personal data encrypted", tracker.sender_id)


class EncryptedSQLTrackerStore(ResilientSQLTrackerStore, SealedSQLTrackerStore):
    """Retries on a lost connection (ResilientSQLTrackerStore) around the sealed reads and
    writes (SealedSQLTrackerStore): the method order is this class, Resilient, Sealed, Rasa's."""
