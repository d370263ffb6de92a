"""What a person could read in a stored row: its text without opaque tokens.

Hashes, Fernet ciphertexts and random identifiers are long runs of hex or base64 characters that
can contain any short string by chance ("Roe" in a ciphertext, "1234" in a hash). A check that a
name or a number is no longer stored looks at the rest of the row.
"""

from __future__ import annotations

import re

# 24 or more characters of hex/base64/base64url (with padding): no word or name is that long
# without a space, and every token, hash and ciphertext the stores write is longer.
_OPAQUE_TOKEN = re.compile(r"[A-Za-z0-9+/_\-]{24,}={0,2}")


def readable(text: str) -> str:
    """`text` with every opaque token replaced by a placeholder."""
    return _OPAQUE_TOKEN.sub("<opaque>", text)
