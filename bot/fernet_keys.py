"""One way to turn a configured secret into a Fernet key, for everything that encrypts at rest.

The secret (any string of at least 43 characters, as `helpdesk gen-secrets` prints) goes through
HKDF-SHA256 with a `purpose` label, so one secret can key several uses without them sharing a key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def fernet_for(secret: str, purpose: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))
