"""The database schema (SQLAlchemy Core). Migrations in `migrations/` must produce exactly this."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZ = sa.DateTime(timezone=True)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("status", sa.String(30), nullable=False, index=True),
    sa.Column("requester_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("membership_id", sa.String(64), nullable=True),
    sa.Column("service", sa.String(200), nullable=True),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("origin", sa.String(20), nullable=False),
    sa.Column("conversation_id", sa.String(200), nullable=True),
    sa.Column("conversation_excerpt", sa.JSON, nullable=False),
    sa.Column("assignee", sa.String(100), nullable=True),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
    sa.Column("due_at", TZ, nullable=False, index=True),
    sa.Column("notified_at", TZ, nullable=True),
    # Identity verification by emailed code: only an HMAC of the code is stored.
    sa.Column("verification_code_hash", sa.String(64), nullable=True),
    sa.Column("verification_expires_at", TZ, nullable=True),
    sa.Column("verification_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("verified_at", TZ, nullable=True),
    sa.Column("verification_locked_at", TZ, nullable=True),
)

ticket_notes = sa.Table(
    "ticket_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
)

# The primary key on `key` is what makes concurrent retries safe: only one insert can win.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
)

staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    # A disabled account cannot log in; its sessions were closed when it was disabled.
    sa.Column("disabled_at", TZ, nullable=True),
    # The TOTP secret, encrypted with a key derived from HELPDESK_SECRET_KEY (totp.py), and the
    # last time step a code was accepted for (a code is good once).
    sa.Column("totp_secret", sa.String(255), nullable=True),
    sa.Column("totp_last_step", sa.BigInteger, nullable=True),
)

# Server-side sessions: the cookie holds a random token, the table only its SHA-256.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_users.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("expires_at", TZ, nullable=False),
)
