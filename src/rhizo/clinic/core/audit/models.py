"""The append-only audit trail: who did what to which record, and when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, str_enum
from rhizo.clinic.core.database import Base, utcnow


class AuditAction(StrEnum):
    """What happened."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    LOGIN = "login"
    FAILED_LOGIN = "failed_login"
    LOGOUT = "logout"
    #: A refused attempt (HTTP 403) on patient data; ``details`` names method and path.
    DENIED = "denied"
    #: An attempt on patient data that named no record (HTTP 404).
    NOT_FOUND = "not_found"


class AuditEvent(Base):
    """One audit row. Never updated or deleted (ORM guard + database triggers).

    ``patient_id`` is a plain integer, not a foreign key, so the trail outlives
    a deleted patient. ``details`` carries ids and field names, never PHI.

    Tamper evidence (:mod:`rhizo.clinic.core.audit.chain`): rows form a hash chain
    in ``seq`` order (1, 2, 3, ... without gaps; unique), each ``row_hash`` =
    SHA-256(``prev_hash`` + canonical JSON of the row), ``prev_hash`` = the
    previous row's ``row_hash`` (64 zeros for the first). The chain columns
    are filled when the row is flushed, under the chain lock.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_patient_ts", "patient_id", "ts"),
        sa.Index("ix_audit_event_actor_ts", "actor_id", "ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ts: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor_username: Mapped[str] = mapped_column(sa.String(64))
    actor_role: Mapped[str | None] = mapped_column(sa.String(16))
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "action"))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    patient_id: Mapped[int | None] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seq: Mapped[int] = mapped_column(unique=True, index=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64))


class AuditRead(ReadSchema):
    """An audit row as the API shows it."""

    id: int
    ts: datetime
    actor_id: int | None
    actor_username: str
    actor_role: str | None
    action: AuditAction
    entity_type: str
    entity_id: str | None
    patient_id: int | None
    request_id: str | None
    ip: str | None
    details: dict[str, Any]
    seq: int
    row_hash: str
