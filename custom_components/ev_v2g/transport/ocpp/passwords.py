"""Charge point passwords as salted hashes: what is stored never lets anyone log in.

A password is made by us (20 random letters and digits, about 119 bits), shown once and
then kept only as ``pbkdf2-sha256$<iterations>$<salt>$<digest>``. A few thousand iterations
are enough for a secret that cannot be guessed; a slow hash would only give whoever sends
wrong passwords a lever on Home Assistant's CPU.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "pbkdf2-sha256"
ITERATIONS = 4096
SALT_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _digest(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The stored form of a password, with a new random salt (or the one given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    return f"{SCHEME}${ITERATIONS}${_b64(salt)}${_b64(_digest(password, salt, ITERATIONS))}"


def is_password_hash(value: str) -> bool:
    """Whether a stored value is a password hash (and not an old entry's plain password)."""
    return _parse(value) is not None


def password_matches(stored: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (in constant time)."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    iterations, salt, digest = parsed
    return hmac.compare_digest(_digest(password, salt, iterations), digest)


def _parse(value: str) -> tuple[int, bytes, bytes] | None:
    scheme, _, rest = value.partition("$")
    iterations, _, rest = rest.partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != SCHEME or not iterations.isdigit() or not 0 < int(iterations) <= 10**6:
        return None
    try:
        return (
            int(iterations),
            base64.b64decode(salt, validate=True),
            base64.b64decode(digest, validate=True),
        )
    except ValueError:
        return None
