"""Alembic environment: the URL comes from `bot.helpdesk.db.alembic_config`, never from a file."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from bot.helpdesk.tables import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.attributes["database_url"]
    engine = sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
