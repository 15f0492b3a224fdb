"""TOTP second factor (RFC 6238 time-based one-time passwords, via pyotp).

Codes are HMAC-SHA1, 6 digits, 30-second steps: the parameters Google
Authenticator, FreeOTP and most authenticator apps assume (RFC 6238 section
5.2 and RFC 4226; the Key Uri Format of Google's authenticator wiki; guideline
text, recalled). A code is accepted for its own step and one step either side
(``VALID_WINDOW_STEPS`` = 1: RFC 6238 section 5.2 recommends "at most one time
step" of allowed network delay), and, as RFC 6238 section 5.2 requires, never
twice: the accepted step is stored (``User.totp_last_step``) and a code for
that step or an earlier one is refused.

Enrolment shows the secret once, as a base32 string, an ``otpauth://`` URI and
a QR code of it (SVG, by segno); the secret becomes the user's only when the
first code made from it is confirmed.
"""

from __future__ import annotations

import time

import pyotp
import segno

ISSUER = "rhizo"
STEP_S = 30
DIGITS = 6
VALID_WINDOW_STEPS = 1


def new_secret() -> str:
    """A random 160-bit base32 secret (RFC 4226 section 4 recommends 160 bits)."""
    return pyotp.random_base32(length=32)


def otpauth_uri(secret: str, username: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (label ``rhizo:<username>``)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (error correction M)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4)
    return svg


def code_at(secret: str, at_s: float) -> str:
    """The code for the time ``at_s`` (seconds since the epoch)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).at(int(at_s))


def accepted_step(
    secret: str, code: str, *, last_step: int | None, now_s: float | None = None
) -> int | None:
    """The time step ``code`` is valid for (within one step of now and later than
    ``last_step``), or None when it is wrong, stale or replayed."""
    now_s = time.time() if now_s is None else now_s
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = int(now_s // STEP_S)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    for step in range(current - VALID_WINDOW_STEPS, current + VALID_WINDOW_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_S), code):
            return step
    return None
