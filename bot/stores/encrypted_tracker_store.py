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

import json
import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.stores.sealing import EventSealer
from bot.stores.tracker_store import ResilientSQLTrackerStore

logger = logging.getLogger(__name__)


class SealedSQLTrackerStore(SQLTrackerStore):
    """Rasa's `SQLTrackerStore` (3.6) reading and writing events through an `EventSealer`.
    `_retrieve` and `save` are Rasa's, with `open` after `json.loads` and `seal` before
    `json.dumps`."""

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
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

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
            session.commit()
        logger.debug("tracker %s stored, personal data encrypted", tracker.sender_id)


class EncryptedSQLTrackerStore(ResilientSQLTrackerStore, SealedSQLTrackerStore):
    """Retries on a lost connection (ResilientSQLTrackerStore) around the sealed reads and
    writes (SealedSQLTrackerStore): the method order is this class, Resilient, Sealed, Rasa's."""
