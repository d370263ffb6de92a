"""Rasa's SQL tracker store, surviving dropped database connections.

Rasa wraps its tracker store in `FailSafeTrackerStore`: when loading a conversation fails it
carries on with an empty one, and when saving fails it keeps the events in memory. After
PostgreSQL drops a connection (a restart, a failover, `pg_terminate_backend`), Rasa 3.6's pool
hands out that dead connection once, so the next message of some conversation starts from
nothing (a customer in the middle of a request is asked again from the start), and its events
are then appended after the stored ones as if they continued them.

`ResilientSQLTrackerStore` tests a pooled connection before using it (`pool_pre_ping`) and tries
a load or a save once more, on a new connection, when the database drops the connection while it
runs. A save is safe to repeat: it stores only the events the database does not have yet.

endpoints.production.yml:

    tracker_store:
      type: bot.stores.tracker_store.ResilientSQLTrackerStore
      dialect: postgresql
      ...
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs

logger = logging.getLogger(__name__)

ATTEMPTS = 2


def _is_lost_connection(error: BaseException) -> bool:
    import sqlalchemy.exc

    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sqlalchemy.exc.OperationalError)


class ResilientSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` with pre-pinged pooled connections and one retry on a lost one."""

    engine: Any
    sessionmaker: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import sqlalchemy as sa

        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
            except Exception as error:
                if attempt == ATTEMPTS or not _is_lost_connection(error):
                    raise
                logger.warning("tracker store: connection lost loading %s, retrying", sender_id)
        return None  # not reached

    async def save(self, tracker: Any) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await super().save(tracker)
                return
            except Exception as error:
                if attempt == ATTEMPTS or not _is_lost_connection(error):
                    raise
                logger.warning(
                    "tracker store: connection lost saving %s, retrying", tracker.sender_id
                )
