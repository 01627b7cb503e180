"""Credentials: random API tokens and session ids, their hashes, and salted password hashes.

Tokens and session ids are 256 random bits (``secrets``), so one SHA-256 is the right
hash for them: nobody can guess their way back from it, and a request finds its user
by an index lookup on the hash. Passwords are chosen by people and are weak, so they
get a slow, salted, memory-hard hash (``hashlib.scrypt``, from the standard library:
no dependency needed for one well-known function), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["MAX_PASSWORD", "TOKEN_PREFIX", "hash_password", "hash_secret", "new_password",
           "new_secret", "new_token", "verify_password"]

#: Tokens start with this, so a leaked one is recognisable (by people and secret scanners).
TOKEN_PREFIX = "ggt_"
#: Longest password accepted (a longer one is refused before any hashing).
MAX_PASSWORD = 1024
# scrypt cost: n=2**14, r=8 takes ~16 MB and some tens of ms a check (the parameters
# the scrypt paper gives for interactive logins).
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_token() -> str:
    """A new API token: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A new browser session id (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def new_password() -> str:
    """A generated password (96 random bits, 16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def hash_secret(secret: str) -> str:
    """The stored form of a token or session id: SHA-256, 64 hex digits.

    Examples
    --------
    >>> len(hash_secret("ggt_x")), hash_secret("a") == hash_secret("a")
    (64, True)
    """
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          dklen=dklen, maxmem=64 * 1024 * 1024)


def hash_password(password: str) -> str:
    """The stored form of a password: ``scrypt$n$r$p$salt$hash`` with a fresh 16-byte salt.

    Examples
    --------
    >>> stored = hash_password("correct horse")
    >>> stored.startswith("scrypt$"), verify_password("correct horse", stored)
    (True, True)
    """
    if not password or len(password) > MAX_PASSWORD:
        raise ValueError(f"a password has 1 to {MAX_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P, _DKLEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


# Checked against when the user is unknown, so "no such user" costs what "wrong password" costs.
_DUMMY = f"scrypt${_N}${_R}${_P}${_b64(bytes(16))}${_b64(bytes(_DKLEN))}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; always pays for one scrypt (no timing hint).

    A missing or malformed ``stored`` (no password set, unknown user) is False after the
    same work as a real check.
    """
    try:
        scheme, n, r, p, salt, digest = (stored or _DUMMY).split("$")
        params = (int(n), int(r), int(p))
        if scheme != "scrypt":
            raise ValueError(scheme)
        expected = _unb64(digest)
        salt_bytes = _unb64(salt)
    except ValueError:
        scheme, params, salt_bytes, expected, stored = "scrypt", (_N, _R, _P), bytes(16), b"", None
    usable = bool(password) and len(password) <= MAX_PASSWORD
    got = _scrypt(password if usable else "x", salt_bytes, *params, len(expected) or _DKLEN)
    return usable and stored is not None and hmac.compare_digest(got, expected)
