"""Password hashing (argon2 via pwdlib) and signed bearer tokens (PyJWT)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from rhizo.clinic.database import utcnow

_HASHER = PasswordHash((Argon2Hasher(),))
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _HASHER.hash("rhizo-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches; without a hash, spend the same time and say no."""
    if password_hash is None:
        _HASHER.verify(password, _DUMMY_HASH)
        return False
    return _HASHER.verify(password, password_hash)


class InvalidTokenError(Exception):
    """A bearer token that is missing, expired, forged or malformed."""


def create_access_token(
    *,
    user_id: int,
    role: str,
    session_epoch: int,
    secret: str,
    algorithm: str,
    expires_minutes: int,
) -> str:
    """A signed JWT naming the user, role and session epoch, valid for ``expires_minutes``."""
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "sev": session_epoch,
        "iat": now,
        "exp": now + timedelta(minutes=expires_minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_access_token(token: str, *, secret: str, algorithm: str) -> tuple[int, str, int]:
    """The (user id, role, session epoch) a valid token names; :class:`InvalidTokenError`
    otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            options={"require": ["sub", "exp", "iat", "sev"]},
        )
        return int(claims["sub"]), str(claims["role"]), int(claims["sev"])
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from error
