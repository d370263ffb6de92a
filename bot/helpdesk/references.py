"""New ticket references like `PR-7KQ2-M9XD`: random, readable aloud, never sequential.

The format and how a typed reference is read back are the contract's (`bot.contract`).
"""

from __future__ import annotations

import secrets

from bot.contract import REFERENCE_ALPHABET


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"PR-{chars[:4]}-{chars[4:]}"
