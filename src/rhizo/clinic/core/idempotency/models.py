"""The stored result of each create sent with an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.database import Base, utcnow

#: The longest key accepted (a UUID is 36 characters; Stripe allows 255).
MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    """One create and its response, keyed by (user, key).

    Written in the same transaction as the record it describes: when the
    create commits, so does its key; when the create rolls back, nothing of
    either remains. ``request`` is the method and path it was sent to,
    ``fingerprint`` the SHA-256 of method, path and the canonical JSON body,
    so a key reused for a different request is recognised and refused.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    request: Mapped[str] = mapped_column(sa.String(300))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
