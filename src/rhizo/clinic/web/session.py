"""Cookie sessions and CSRF tokens for the server-rendered pages.

The session cookie carries only the user id, role, a CSRF token and the time
it was issued, signed with the app's secret by itsdangerous (never encrypted
data, never PHI). It is HttpOnly and SameSite=Lax (Secure when served over
HTTPS) and expires after ``access_token_expire_minutes``; the user is reloaded
from the database on every request, so a deactivated user or a changed role
ends the session at once. The cookie also carries the user's session epoch:
logout and a password change increment it, so a copied cookie stops working
then too (and so do the user's API tokens). The cookie's stage is ``full``, or
``enrol`` for an admin without a second factor, whose pages are then only the
TOTP enrolment (:mod:`rhizo.clinic.web.login`). Before login a separate signed
``rhizo_csrf`` cookie holds the login form's token (signed double submit), and
between a right password and its one-time code a signed ``rhizo_2fa`` cookie
(5 minutes) names the user and epoch the code is for.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "rhizo_session"
CSRF_COOKIE = "rhizo_csrf"
SECOND_FACTOR_COOKIE = "rhizo_2fa"
CSRF_FIELD = "csrf_token"
_SALT = "rhizo.web.session"
_CSRF_SALT = "rhizo.web.csrf"
_SECOND_FACTOR_SALT = "rhizo.web.second-factor"
_PRE_LOGIN_MAX_AGE_S = 2 * 60 * 60
_SECOND_FACTOR_MAX_AGE_S = 5 * 60


@dataclass(frozen=True)
class WebSession:
    """What the session cookie says."""

    user_id: int
    role: str
    csrf: str
    #: The user's session epoch at login; logout or a password change moves it on.
    epoch: int
    #: ``full`` or ``enrol`` (rhizo.clinic.core.auth.security.Stage).
    stage: str


def _serializer(request: Request, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret, salt=salt)


def max_age_s(request: Request) -> int:
    """Session lifetime in seconds (the API token lifetime)."""
    return int(request.app.state.settings.access_token_expire_minutes) * 60


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def read_session(request: Request) -> WebSession | None:
    """The signed, unexpired session, or None."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _serializer(request, _SALT).loads(raw, max_age=max_age_s(request))
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict):
        return None
    try:
        return WebSession(
            user_id=int(data["u"]),
            role=str(data["r"]),
            csrf=str(data["c"]),
            epoch=int(data["e"]),
            stage=str(data["s"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def start_session(
    request: Request, response: Response, *, user_id: int, role: str, epoch: int, stage: str
) -> None:
    """Set a fresh session cookie (a new CSRF token too) and drop the pre-login ones."""
    token = _serializer(request, _SALT).dumps(
        {"u": user_id, "r": role, "c": secrets.token_urlsafe(32), "e": epoch, "s": stage}
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_s(request),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path="/")
    response.delete_cookie(SECOND_FACTOR_COOKIE, path="/")


def set_second_factor_cookie(
    request: Request, response: Response, *, user_id: int, epoch: int
) -> None:
    """Remember, for 5 minutes, that ``user_id`` gave the right password at ``epoch``."""
    value = _serializer(request, _SECOND_FACTOR_SALT).dumps({"u": user_id, "e": epoch})
    response.set_cookie(
        SECOND_FACTOR_COOKIE,
        value,
        max_age=_SECOND_FACTOR_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def read_second_factor(request: Request) -> tuple[int, int] | None:
    """The (user id, epoch) a valid, unexpired ``rhizo_2fa`` cookie names, or None."""
    raw = request.cookies.get(SECOND_FACTOR_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _serializer(request, _SECOND_FACTOR_SALT).loads(
            raw, max_age=_SECOND_FACTOR_MAX_AGE_S
        )
        return int(data["u"]), int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def end_session(response: Response) -> None:
    """Remove the session cookie (revocation is the epoch: auth.service.end_sessions)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def pre_login_token(request: Request) -> tuple[str, str | None]:
    """The login form's CSRF token, and a new signed cookie value when one must be set."""
    raw = request.cookies.get(CSRF_COOKIE)
    if raw:
        try:
            token = _serializer(request, _CSRF_SALT).loads(raw, max_age=_PRE_LOGIN_MAX_AGE_S)
            if isinstance(token, str):
                return token, None
        except BadSignature:
            pass
    token = secrets.token_urlsafe(32)
    return token, _serializer(request, _CSRF_SALT).dumps(token)


def set_pre_login_cookie(request: Request, response: Response, value: str) -> None:
    """Set the signed pre-login CSRF cookie."""
    response.set_cookie(
        CSRF_COOKIE,
        value,
        max_age=_PRE_LOGIN_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def csrf_ok(expected: str | None, given: object) -> bool:
    """Constant-time comparison of the form's token with the expected one."""
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), given.encode())
    )


def pre_login_csrf_ok(request: Request, given: object) -> bool:
    """Whether the login form's token matches the signed pre-login cookie."""
    raw = request.cookies.get(CSRF_COOKIE)
    if not raw:
        return False
    try:
        token = _serializer(request, _CSRF_SALT).loads(raw, max_age=_PRE_LOGIN_MAX_AGE_S)
    except BadSignature:
        return False
    return csrf_ok(token if isinstance(token, str) else None, given)
