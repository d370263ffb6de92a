"""Staff passwords: argon2 hashes, and checks that take as long for unknown users."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

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


# Argon2 takes ~200 ms of CPU: run it in a small pool, never on the event loop, so the worker
# keeps serving the bot, the site and the console while logins are checked. The pool is
# bounded (two threads; the login limits bound the queue in front of it).
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, verify_password, password_hash, password)
