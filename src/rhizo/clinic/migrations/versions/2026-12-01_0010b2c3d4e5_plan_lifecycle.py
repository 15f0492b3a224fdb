"""Plan lifecycle: ``confirmed`` becomes ``scheduled``, done plans link their procedure,
cancelled plans carry a reason (issue 16, plan lifecycle).

The statuses are those of :mod:`rhizo.clinic.plan.lifecycle` (draft, scheduled,
done, cancelled); ``confirmed`` meant "the day is booked" and is renamed
``scheduled`` so that each name has one meaning. Data migration: every
``confirmed`` plan becomes ``scheduled``; every plan already ``cancelled`` gets
the reason :data:`LEGACY_REASON`, ``cancelled_by`` :data:`LEGACY_BY` and
``cancelled_at`` its ``updated_at`` (no reason was ever recorded, and the
``cancelled_has_reason`` check needs one). Plans already ``done`` keep a NULL
``procedure_id``: nothing recorded which procedure carried them out.

Adds to ``plans``: ``procedure_id`` (FK procedures.id, ON DELETE SET NULL;
procedures.plan_id points back, so the pair is a cycle), ``cancel_reason``
(text), ``cancelled_by`` (username), ``cancelled_at`` (UTC), and the checks of
:class:`rhizo.clinic.plan.models.Plan`. Downgrade drops them and turns
``scheduled`` back into ``confirmed`` (cancellation reasons are lost).

Revision ID: 0010b2c3d4e5
Revises: 0009a1b2c3d4
Create Date: 2026-12-01 17:20:00
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0010b2c3d4e5"
down_revision: str | Sequence[str] | None = "0009a1b2c3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The reason given to plans cancelled before reasons were stored.
LEGACY_REASON = "cancelled before rhizo stored a reason (migration 0010b2c3d4e5)"
#: Who cancelled them, as far as the record knows.
LEGACY_BY = "unknown"

NEW_STATUSES = ("draft", "scheduled", "done", "cancelled")
OLD_STATUSES = ("draft", "confirmed", "done", "cancelled")

#: The checks, as in rhizo.clinic.plan.models.Plan.
CHECKS = (
    (
        "cancellation_complete",
        "(cancel_reason IS NULL) = (cancelled_by IS NULL)"
        " AND (cancel_reason IS NULL) = (cancelled_at IS NULL)",
    ),
    ("cancelled_has_reason", "(status = 'cancelled') = (cancel_reason IS NOT NULL)"),
    ("procedure_only_when_done", "procedure_id IS NULL OR status = 'done'"),
)
FK = "fk_plans_procedure_id_procedures"
COLUMNS = ("procedure_id", "cancel_reason", "cancelled_by", "cancelled_at")


@contextmanager
def _keeping_procedure_links() -> Iterator[None]:
    """Keep ``procedures.plan_id`` across a rebuild of ``plans``.

    On SQLite batch mode copies ``plans`` and drops the old table; with foreign
    keys enforced that drop runs ON DELETE SET NULL on ``procedures.plan_id``
    and every procedure would lose its plan. The links are read first and
    written back after (PostgreSQL alters in place; the write-back is a no-op).
    """
    procedures = sa.table("procedures", sa.column("id", sa.Integer()), sa.column("plan_id"))
    bind = op.get_bind()
    links = bind.execute(
        sa.select(procedures.c.id, procedures.c.plan_id).where(procedures.c.plan_id.is_not(None))
    ).all()
    yield
    for procedure_id, plan_id in links:
        bind.execute(
            procedures.update().where(procedures.c.id == procedure_id).values(plan_id=plan_id)
        )


def _status_check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _set_status_check(statuses: tuple[str, ...]) -> None:
    with op.batch_alter_table("plans") as batch_op:
        batch_op.create_check_constraint("status", _status_check(statuses))


def _drop_status_check() -> None:
    with op.batch_alter_table("plans") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_plans_status"), type_="check")


def upgrade() -> None:
    with _keeping_procedure_links():
        _upgrade()


def downgrade() -> None:
    with _keeping_procedure_links():
        _downgrade()


def _upgrade() -> None:
    _drop_status_check()
    plans = sa.table(
        "plans",
        sa.column("status", sa.String()),
        sa.column("cancel_reason", sa.Text()),
        sa.column("cancelled_by", sa.String()),
        sa.column("cancelled_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.execute(plans.update().where(plans.c.status == "confirmed").values(status="scheduled"))
    with op.batch_alter_table("plans") as batch_op:
        batch_op.add_column(sa.Column("procedure_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f(FK), "procedures", ["procedure_id"], ["id"], ondelete="SET NULL"
        )
    op.execute(
        plans.update()
        .where(plans.c.status == "cancelled")
        .values(
            cancel_reason=LEGACY_REASON, cancelled_by=LEGACY_BY, cancelled_at=plans.c.updated_at
        )
    )
    _set_status_check(NEW_STATUSES)
    with op.batch_alter_table("plans") as batch_op:
        for name, condition in CHECKS:
            batch_op.create_check_constraint(name, condition)


def _downgrade() -> None:
    with op.batch_alter_table("plans") as batch_op:
        for name, _ in reversed(CHECKS):
            batch_op.drop_constraint(batch_op.f(f"ck_plans_{name}"), type_="check")
        batch_op.drop_constraint(batch_op.f(FK), type_="foreignkey")
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
    _drop_status_check()
    plans = sa.table("plans", sa.column("status", sa.String()))
    op.execute(plans.update().where(plans.c.status == "scheduled").values(status="confirmed"))
    _set_status_check(OLD_STATUSES)
