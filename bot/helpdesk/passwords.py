"""Staff passwords: argon2 hashes, and checks that take as long for unknown users."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_unknown_user_hash: list[str] = []


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Checks the password; for unknown users it still spends the same time hashing."""
    if password_hash is None:
        if not _unknown_user_hash:
            _unknown_user_hash.append(_hasher.hash("not-a-real-password"))
        password_hash = _unknown_user_hash[0]
        try:
            _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
