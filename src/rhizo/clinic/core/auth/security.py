"""Password hashing (argon2 via pwdlib), a bound on concurrent verifications, signed
bearer tokens (PyJWT).

An argon2 verification costs tens of milliseconds of a CPU core and holds a
worker thread; :class:`VerificationSlots` lets at most ``size`` run at once in a
process, and an attempt that finds every slot taken is refused at once
(:class:`LoginBusy`, HTTP 503 with ``Retry-After``) instead of queueing, so a
login flood cannot take the CPU and the thread pool from authenticated requests.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from rhizo.clinic.core.database import utcnow

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


class LoginBusy(Exception):
    """Every password-verification slot is taken: the attempt is refused unchecked."""

    retry_after_s = 1


class VerificationSlots:
    """At most ``size`` password verifications at once in this process; no queue."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"verification slots: size {size} must be at least 1")
        self.size = size
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Take a slot for the block, or raise :class:`LoginBusy` without waiting."""
        if not self._slots.acquire(blocking=False):
            raise LoginBusy
        try:
            yield
        finally:
            self._slots.release()


class Stage(StrEnum):
    """What a token or session may do: everything its role allows, or only enrol a second
    factor (an admin who logged in with a password and has no TOTP yet)."""

    FULL = "full"
    ENROL = "enrol"


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
    stage: Stage = Stage.FULL,
) -> str:
    """A signed JWT naming the user, role, session epoch and stage, valid for
    ``expires_minutes`` (the login endpoint decides the stage)."""
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "sev": session_epoch,
        "stg": stage.value,
        "iat": now,
        "exp": now + timedelta(minutes=expires_minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_access_token(token: str, *, secret: str, algorithm: str) -> tuple[int, str, int, Stage]:
    """The (user id, role, session epoch, stage) a valid token names;
    :class:`InvalidTokenError` otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            options={"require": ["sub", "exp", "iat", "sev", "stg"]},
        )
        stage = Stage(claims["stg"])
        return int(claims["sub"]), str(claims["role"]), int(claims["sev"]), stage
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from error
