"""Abuse limits of the public request form: address hashing, a rate limit, a honeypot.

* **Per-address rate limit**: at most :data:`MAX_PER_WINDOW` (3) requests from one
  client address in :data:`WINDOW` (1 hour), counted from the stored requests
  themselves (``consultation_requests.client_hash``, indexed with ``created_at``),
  so there is no second counter to keep in step. Over the limit the form answers
  429 with ``Retry-After``: the seconds until the oldest request of the window
  leaves it, and the same wait in words. A clinic's NAT shares one address: 3 an
  hour leaves room for a family, not for a script.
* **Address hash**: the address is stored only as HMAC-SHA256 keyed with the app's
  secret (hex), so the table holds no IP address yet equal addresses match.
* **Honeypot**: the public form has a field people never see (``website``, hidden
  by CSS and ``aria-hidden``, ``tabindex=-1``, ``autocomplete=off``); a form that
  fills it is answered as if accepted and nothing is stored.
* **Size**: every text has a length limit (:mod:`rhizo.clinic.intake.models`) and
  the body as a whole the server's (:data:`rhizo.clinic.core.body_limit.MAX_BODY_BYTES`).

Sources: OWASP Automated Threats to Web Applications (OAT-019 "Account Creation"
and the "rate limiting" countermeasure) and the OWASP Cheat Sheet "Denial of
Service" (limit requests per client); recalled, not re-read here. The numbers
are rhizo's choice (local protocol).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.intake.models import ConsultationRequest

#: At most this many requests per client address per :data:`WINDOW`.
MAX_PER_WINDOW = 3
WINDOW = timedelta(hours=1)
#: The public form's hidden field: a person leaves it empty.
HONEYPOT_FIELD = "website"


class RequestThrottled(Exception):
    """Too many requests from this address: try again in ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many requests from this address; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def client_hash(address: str | None, *, secret: str) -> str | None:
    """HMAC-SHA256 of the client address keyed with ``secret`` (hex), None when unknown."""
    if not address:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def check_rate(*, session: Session, address_hash: str | None, now: datetime) -> None:
    """Raise :class:`RequestThrottled` when ``address_hash`` already made
    :data:`MAX_PER_WINDOW` requests in the last :data:`WINDOW` (a read, no write)."""
    if address_hash is None:
        return
    recent = session.scalars(
        sa.select(ConsultationRequest.created_at)
        .where(
            ConsultationRequest.client_hash == address_hash,
            ConsultationRequest.created_at > now - WINDOW,
        )
        .order_by(ConsultationRequest.created_at.desc())
        .limit(MAX_PER_WINDOW)
    ).all()
    if len(recent) < MAX_PER_WINDOW:
        return
    # The window frees a place when the oldest of the last MAX_PER_WINDOW leaves it.
    frees_at = min(recent) + WINDOW
    raise RequestThrottled(max(1, math.ceil((frees_at - now).total_seconds())))


def wait_in_words(seconds: int) -> str:
    """``seconds`` as a person reads a wait: "about 40 minutes", "1 minute"."""
    if seconds < 60:
        return "a minute"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
