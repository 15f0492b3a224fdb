"""Worklist tasks raised by the pathway (issue 18).

Creates ``worklist_tasks`` (:class:`rhizo.clinic.tasks.models.WorklistTask`): one
row per task (book the RF day, book a review, pain has returned), with the
patient and the block, procedure, plan or appointment it concerns, the clinic day
it is due, its status (open, done, dismissed) with who closed it, when and why
(CHECKs: a closed task names who and when; a dismissal has its reason), what the
pathway said (``detail``, JSON) and a UNIQUE ``dedupe_key`` (the fact it was
raised from: a sweep run twice raises it once). Downgrade drops it.

Revision ID: 0014f6a7b8c9
Revises: 0013e5f6a7b8
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014f6a7b8c9"
down_revision: str | Sequence[str] | None = "0013e5f6a7b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worklist_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "book_rf_day",
                "book_review",
                "pain_returned",
                name="task_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("review_id", sa.String(length=40), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "dismissed",
                name="task_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL) AND (closed_at IS NULL) = (closed_by IS NULL)",
            name=op.f("ck_worklist_tasks_closed_has_who_when"),
        ),
        sa.CheckConstraint(
            "status <> 'dismissed' OR close_reason IS NOT NULL",
            name=op.f("ck_worklist_tasks_dismissed_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_worklist_tasks_appointment_id_appointments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["diagnostic_blocks.id"],
            name=op.f("fk_worklist_tasks_block_id_diagnostic_blocks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_worklist_tasks_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_worklist_tasks_plan_id_plans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_worklist_tasks_procedure_id_procedures"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worklist_tasks")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_worklist_tasks_dedupe_key")),
    )
    with op.batch_alter_table("worklist_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worklist_tasks_patient_id"), ["patient_id"])
        batch_op.create_index("ix_worklist_tasks_status_due_on", ["status", "due_on"])


def downgrade() -> None:
    with op.batch_alter_table("worklist_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_worklist_tasks_status_due_on")
        batch_op.drop_index(batch_op.f("ix_worklist_tasks_patient_id"))

    op.drop_table("worklist_tasks")
