"""Identity verification by emailed code: the code's HMAC, its expiry, attempts, outcome.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("verification_code_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("verification_expires_at", TZ, nullable=True))
        batch.add_column(
            sa.Column("verification_attempts", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("verified_at", TZ, nullable=True))
        batch.add_column(sa.Column("verification_locked_at", TZ, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for column in (
            "verification_locked_at", "verified_at", "verification_attempts",
            "verification_expires_at", "verification_code_hash",
        ):  # fmt: skip
            batch.drop_column(column)
