"""Login throttling: exponential back-off, then a temporary lockout, per account and per address.

Every failed login adds one to two counters (rows of ``login_throttle``): the
account's (the username as typed, known or not, so the answers do not tell
which usernames exist) and the client address's. After the n-th consecutive
failure the key waits :meth:`Schedule.wait_s` (n) before its next attempt is
even checked::

    wait(n) = 0                       n < free_failures
            = 2 ** (n - free_failures) s   free_failures <= n < lockout_after
            = lockout_s                    n >= lockout_after  (temporary lockout)

Accounts: 5 free failures, then 1, 2, 4, 8, 16 s, and from the 10th failure a
15-minute lockout (each further failure renews it). Addresses (a clinic's NAT
shares one): 20 free, back-off to the 30th, then 15 minutes. A success clears
the account's counter (not the address's); a counter whose last failure is
older than ``FAILURE_MEMORY`` (24 h) starts again from zero. An admin can
clear an account at once (:func:`unlock`; ``POST /api/v1/users/{id}/unlock``,
``rhizo user unlock``).

Sources (guideline text, recalled): NIST SP 800-63B (2017) section 5.2.2
"Rate Limiting (Throttling)": at most 100 consecutive failed attempts on one
account, with delays that grow; OWASP Authentication Cheat Sheet, "Account
Lockout" (lockout threshold, observation window, lockout duration; lockout
lets an attacker lock a victim out, hence short, automatic and admin-clearable).
The numbers here are rhizo's choice within those rules (local protocol).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import LoginThrottle

#: Forget a key's failures when the last one is older than this.
FAILURE_MEMORY = timedelta(hours=24)


@dataclass(frozen=True)
class Schedule:
    """How long a key waits after its n-th consecutive failure."""

    free_failures: int
    lockout_after: int
    lockout_s: float

    def wait_s(self, failures: int) -> float:
        """Seconds before the next attempt is checked, after ``failures`` failures."""
        if failures < self.free_failures:
            return 0.0
        if failures >= self.lockout_after:
            return self.lockout_s
        return float(2 ** (failures - self.free_failures))


ACCOUNT = Schedule(free_failures=5, lockout_after=10, lockout_s=15 * 60.0)
ADDRESS = Schedule(free_failures=20, lockout_after=30, lockout_s=15 * 60.0)


class LoginThrottled(Exception):
    """Too many failures for this account or address: try again in ``retry_after_s``."""

    def __init__(self, retry_after_s: int, scope: str) -> None:
        super().__init__(f"too many failed logins for this {scope}; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s
        self.scope = scope


def account_key(username: str) -> str:
    """The counter of one username (as typed, folded to lower case)."""
    return "account:" + username.strip().lower()[:100]


def address_key(ip: str | None) -> str | None:
    """The counter of one client address (None when the address is unknown)."""
    return None if not ip else "address:" + ip[:100]


def _scope(key: str) -> str:
    return key.split(":", 1)[0]


def check(*, session: Session, keys: Iterable[str], now: datetime) -> None:
    """Raise :class:`LoginThrottled` when any key is still waiting (a read, no write)."""
    rows = session.scalars(
        sa.select(LoginThrottle).where(
            LoginThrottle.key.in_(list(keys)), LoginThrottle.blocked_until > now
        )
    ).all()
    if rows:
        worst = max(rows, key=lambda row: row.blocked_until or now)
        assert worst.blocked_until is not None  # noqa: S101 - filtered above
        wait = math.ceil((worst.blocked_until - now).total_seconds())
        raise LoginThrottled(max(1, wait), _scope(worst.key))


def record_failure(
    *, session: Session, key: str, schedule: Schedule, now: datetime
) -> LoginThrottle:
    """Count one failure for ``key`` (row-locked, so concurrent workers add up) and set
    its wait; the caller commits."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0, last_failure_at=now, blocked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalars(
        sa.select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if now - row.last_failure_at > FAILURE_MEMORY:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = schedule.wait_s(row.failures)
    row.blocked_until = now + timedelta(seconds=wait) if wait > 0 else None
    session.flush()  # the next count in this transaction re-reads the row (populate_existing)
    return row


def clear(*, session: Session, key: str) -> bool:
    """Forget ``key``'s failures (a success or an admin unlock); whether there were any."""
    result = session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key))
    return bool(getattr(result, "rowcount", 0))
