"""Tamper evidence for the audit trail: every row chains the previous row's hash.

Definition (one place; the migration that back-fills old rows and
``rhizo audit verify`` both call it)::

    row_hash(n) = SHA-256( prev_hash(n) || "\\n" || canonical(row n) )   (hex, 64 chars)
    prev_hash(n) = row_hash(n - 1),  prev_hash(1) = GENESIS_HASH = "0" * 64

``canonical`` is JSON of :data:`CHAINED_FIELDS` with sorted keys, no spaces,
ASCII only, the time stamp as UTC ISO 8601 with microseconds, and integral
floats written as integers (PostgreSQL's JSONB hands ``1e16`` back as an
integer), so SQLite and PostgreSQL give the same bytes for the same row.

Appending is serialised so two writers cannot fork the chain: on PostgreSQL a
transaction-scoped advisory lock (``pg_advisory_xact_lock``) is taken before
the head is read and held until commit; on SQLite a no-op ``UPDATE`` takes
the database's single write lock first (SQLite has one writer at a time, and
a transaction whose snapshot is stale cannot write: ``SQLITE_BUSY_SNAPSHOT``),
so the head it reads is the head it appends to. The unique index on ``seq`` is
the backstop on both: a forked append fails instead of being stored.

What the chain shows: an altered row (its hash no longer matches), a deleted
or inserted row (the next row's ``prev_hash`` or ``seq`` no longer matches).
What it cannot show alone: the last rows removed from the end, or the whole
table rewritten with fresh hashes by someone holding the database. Against
both, note the head (``rhizo audit verify`` prints it) somewhere the database
administrator cannot write, and pass it back with ``--anchor``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.database import utcnow

GENESIS_HASH = "0" * 64
#: The columns a row's hash covers (everything but ``id`` and the two hashes).
CHAINED_FIELDS: tuple[str, ...] = (
    "seq",
    "ts",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "patient_id",
    "request_id",
    "ip",
    "details",
)
#: Key of the PostgreSQL advisory lock that serialises appends (``'rhizoaud'`` in ASCII).
ADVISORY_LOCK_KEY = 0x72_68_69_7A_6F_61_75_64


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return str(value)  # a StrEnum becomes its value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def canonical(row: Mapping[Any, Any]) -> bytes:
    """The bytes a row's hash covers: :data:`CHAINED_FIELDS` as canonical JSON."""
    document = {name: _plain(row[name]) for name in CHAINED_FIELDS}
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.encode("ascii")


def row_hash(row: Mapping[Any, Any], prev_hash: str) -> str:
    """SHA-256 (hex) over ``prev_hash``, a newline and :func:`canonical` of ``row``."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(row))
    return digest.hexdigest()


def fields_of(event_row: AuditEvent) -> dict[str, Any]:
    """The chained fields of an ORM row."""
    return {name: getattr(event_row, name) for name in CHAINED_FIELDS}


def lock_and_read_head(connection: sa.Connection) -> tuple[int, str]:
    """Take the append lock (PostgreSQL) and return the chain head ``(seq, row_hash)``.

    ``(0, GENESIS_HASH)`` for an empty trail. The lock lasts until the
    transaction ends, so the caller appends and commits under it.
    """
    table = AuditEvent.__table__
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    elif connection.dialect.name == "sqlite":
        # A write that matches no row takes SQLite's write lock (waiting out the busy
        # timeout) before the head is read, even in a deferred transaction.
        connection.execute(sa.update(AuditEvent).where(sa.false()).values(seq=AuditEvent.seq))
    head = connection.execute(
        sa.select(table.c.seq, table.c.row_hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    if head is None:
        return 0, GENESIS_HASH
    return int(head.seq), str(head.row_hash)


def _insert_order(event_row: AuditEvent) -> int:
    order = sa.inspect(event_row).insert_order
    return order if order is not None else 0


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    """Give each new audit row its place in the chain, in the order it was added."""
    del flush_context, instances
    new = sorted((obj for obj in session.new if isinstance(obj, AuditEvent)), key=_insert_order)
    if not new:
        return
    seq, previous = lock_and_read_head(session.connection())
    for event_row in new:
        if event_row.ts is None:
            event_row.ts = utcnow()
        if event_row.details is None:
            event_row.details = {}
        seq += 1
        event_row.seq = seq
        event_row.prev_hash = previous
        event_row.row_hash = row_hash(fields_of(event_row), previous)
        previous = event_row.row_hash


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold."""

    event_id: int
    seq: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found."""

    rows: int
    head_seq: int
    head_hash: str
    broken: ChainBreak | None
    anchor_found: bool | None = None

    @property
    def intact(self) -> bool:
        """No break, and the anchor (when one was given) is in the chain."""
        return self.broken is None and self.anchor_found is not False


def _rows(connection: sa.Connection, batch: int, after_seq: int = 0) -> sa.CursorResult[Any]:
    """Every audit row in chain order (after ``after_seq``), streamed (a server-side
    cursor on PostgreSQL)."""
    table = AuditEvent.__table__
    statement = sa.select(table).order_by(table.c.seq, table.c.id)
    if after_seq:
        statement = statement.where(table.c.seq > after_seq)
    return connection.execute(statement.execution_options(yield_per=batch))


def _mismatch(row: Mapping[Any, Any], expected_seq: int, previous: str) -> str | None:
    """Why ``row`` cannot follow a chain whose head is ``(expected_seq - 1, previous)``."""
    seq = row["seq"]
    if seq is None:
        return "it has no place in the chain (seq is empty)"
    if seq > expected_seq:
        last = f" to {seq - 1}" if seq - 1 > expected_seq else ""
        return f"the row(s) before it (seq {expected_seq}{last}) are missing: deleted"
    if seq < expected_seq:
        return f"seq {seq} repeats or goes back (expected {expected_seq})"
    if row["prev_hash"] != previous:
        return (
            "its previous-row hash does not match the row before it "
            "(a row before it was altered, removed or inserted)"
        )
    if row_hash(row, previous) != row["row_hash"]:
        return "its content does not match its hash: the row was altered"
    return None


def check_rows(
    rows: Iterable[Mapping[Any, Any]],
    *,
    anchor: str | None = None,
    after_seq: int = 0,
    after_hash: str = GENESIS_HASH,
) -> ChainReport:
    """Walk rows in ``seq`` order and report the first break (pure; no database).

    ``after_seq`` / ``after_hash``: continue a chain already checked up to that head
    (the rows given start at ``after_seq + 1``); from the genesis by default.
    """
    expected_seq, previous = after_seq + 1, after_hash
    anchor_found = None if anchor is None else False
    for row in rows:
        reason = _mismatch(row, expected_seq, previous)
        if reason is not None:
            broken = ChainBreak(event_id=row["id"], seq=row["seq"], reason=reason)
            return ChainReport(expected_seq - 1, expected_seq - 1, previous, broken)
        previous = row["row_hash"]
        if previous == anchor:
            anchor_found = True
        expected_seq += 1
    return ChainReport(expected_seq - 1, expected_seq - 1, previous, None, anchor_found)


def verify_chain(
    connection: sa.Connection,
    *,
    anchor: str | None = None,
    batch: int = 2000,
    after_seq: int = 0,
    after_hash: str = GENESIS_HASH,
) -> ChainReport:
    """Recompute the whole chain from the database, streaming ``batch`` rows at a time;
    or only the rows after a head already verified (``after_seq`` with its ``after_hash``:
    the rows up to it are not read again)."""
    # Closed on the way out, also when the check stops at a broken row: an abandoned
    # server-side cursor would otherwise be closed late by the garbage collector.
    with _rows(connection, batch, after_seq) as rows:
        return check_rows(
            (row._mapping for row in rows),
            anchor=anchor,
            after_seq=after_seq,
            after_hash=after_hash,
        )
