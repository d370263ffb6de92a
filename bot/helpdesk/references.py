"""Ticket references like `PR-7KQ2-M9XD`: random, readable aloud, never sequential."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L, or U (fewer misreadings and accidental words): 30 symbols, 8 of them ~ 39 bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(rf"^PR-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"PR-{chars[:4]}-{chars[4:]}"


def normalise_reference(text: str) -> str | None:
    """Accept what a customer types (`pr 7kq2 m9xd`), return the canonical form or None."""
    compact = re.sub(r"[\s-]", "", text.strip().upper())
    if compact.startswith("PR"):
        compact = compact[2:]
    candidate = f"PR-{compact[:4]}-{compact[4:]}"
    return candidate if len(compact) == 8 and REFERENCE_PATTERN.match(candidate) else None
