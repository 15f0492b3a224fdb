"""Audit trail: hash chain for tamper evidence and wider audited events.

Adds ``seq`` (unique), ``prev_hash`` and ``row_hash`` to ``audit_event``
(see :mod:`rhizo.clinic.core.audit.chain`), back-fills them for the rows already
there in ``id`` order with the same hash function the application uses, and
widens the ``action`` check to the new events (``logout``, ``denied``,
``not_found``). The append-only triggers are dropped for the back-fill (the
only time rows are rewritten, inside this migration's transaction) and
created again.

Downgrade removes the chain columns and keeps the wider ``action`` list, so
rows already written with the new actions stay valid.

Revision ID: 0005e9f0a1b2
Revises: 0004d5e6f7a8
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rhizo.clinic.core.audit.chain import GENESIS_HASH, row_hash
from rhizo.clinic.core.database import JSONType, UTCDateTime

revision: str = "0005e9f0a1b2"
down_revision: str | Sequence[str] | None = "0004d5e6f7a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_ACTIONS = ("create", "read", "update", "delete", "export", "login", "failed_login")
_NEW_ACTIONS = (*_OLD_ACTIONS, "logout", "denied", "not_found")
_CHECK = "ck_audit_event_action"
_MESSAGE = "audit_event is append-only"
_BATCH = 5000


def _action_type(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="action", native_enum=False, create_constraint=True)


def _table() -> sa.Table:
    return sa.Table(
        "audit_event",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ts", UTCDateTime()),
        sa.Column("actor_id", sa.Integer()),
        sa.Column("actor_username", sa.String(64)),
        sa.Column("actor_role", sa.String(16)),
        sa.Column("action", sa.String(12)),
        sa.Column("entity_type", sa.String(40)),
        sa.Column("entity_id", sa.String(64)),
        sa.Column("patient_id", sa.Integer()),
        sa.Column("request_id", sa.String(64)),
        sa.Column("ip", sa.String(64)),
        sa.Column("details", JSONType),
        sa.Column("seq", sa.Integer()),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("row_hash", sa.String(64)),
    )


def _backfill() -> None:
    """Chain the existing rows in ``id`` order, a page at a time."""
    connection = op.get_bind()
    table = _table()
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            seq=sa.bindparam("new_seq"),
            prev_hash=sa.bindparam("new_prev"),
            row_hash=sa.bindparam("new_hash"),
        )
    )
    last_id, seq, previous = 0, 0, GENESIS_HASH
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        params = []
        for row in rows:
            seq += 1
            values = dict(row._mapping)
            values["seq"] = seq
            digest = row_hash(values, previous)
            params.append(
                {"row_id": row.id, "new_seq": seq, "new_prev": previous, "new_hash": digest}
            )
            previous, last_id = digest, row.id
        connection.execute(update, params)


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER trg_audit_event_immutable BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION rhizo_audit_event_immutable()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_immutable ON audit_event")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS trg_audit_event_no_delete")


def upgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _backfill()
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.drop_constraint(op.f(_CHECK), "audit_event", type_="check")
        op.create_check_constraint(
            op.f(_CHECK), "audit_event", sa.column("action").in_(_NEW_ACTIONS)
        )
    # SQLite: the batch copies the table, with the new check from the new type.
    with op.batch_alter_table("audit_event", schema=None, recreate="auto") as batch_op:
        for name, kind in (
            ("seq", sa.Integer()),
            ("prev_hash", sa.String(length=64)),
            ("row_hash", sa.String(length=64)),
        ):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        if not postgres:
            batch_op.alter_column(
                "action",
                existing_type=_action_type(_OLD_ACTIONS),
                type_=_action_type(_NEW_ACTIONS),
                existing_nullable=False,
            )
        batch_op.create_index(batch_op.f("ix_audit_event_seq"), ["seq"], unique=True)
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_seq"))
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    _create_triggers()
