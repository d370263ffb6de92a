"""A local SMTP server that keeps what it receives, for tests (and the help desk benchmark)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from typing import Any

from tests.support.ports import free_port


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(BytesParser().parsebytes(envelope.original_content))
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class SmtpServer:
    port: int
    mailbox: Mailbox


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 (a free port unless given), stopped on leaving."""
    from aiosmtpd.controller import Controller

    server = SmtpServer(port or free_port(), Mailbox())
    controller = Controller(server.mailbox, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
