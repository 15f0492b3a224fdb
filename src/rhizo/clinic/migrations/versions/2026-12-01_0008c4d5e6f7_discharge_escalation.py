"""Discharges store a clinician's escalation of a red flag (issue 16, discharge safety).

Adds to ``discharges`` the nullable columns ``escalation_kind`` (admitted |
reviewed_by_clinician | complication_recorded), ``escalation_reason`` (text) and
``escalated_by`` (the clinician's username), with a CHECK that the three are set
together or not at all, as in :class:`rhizo.clinic.discharge.models.Discharge`.
Discharges recorded before this revision get NULL: no escalation was recorded.
Downgrade drops the constraints and the columns.

Revision ID: 0008c4d5e6f7
Revises: 0007b1c2d3e4
Create Date: 2026-12-01 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008c4d5e6f7"
down_revision: str | Sequence[str] | None = "0007b1c2d3e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The check, as in rhizo.clinic.discharge.models.Discharge.
COMPLETE = (
    "escalation_complete",
    "(escalation_kind IS NULL) = (escalation_reason IS NULL)"
    " AND (escalation_kind IS NULL) = (escalated_by IS NULL)",
)
COLUMNS = ("escalation_kind", "escalation_reason", "escalated_by")


def upgrade() -> None:
    with op.batch_alter_table("discharges") as batch_op:
        batch_op.add_column(
            sa.Column(
                "escalation_kind",
                sa.Enum(
                    "admitted",
                    "reviewed_by_clinician",
                    "complication_recorded",
                    name="escalation_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=21,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("escalation_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("escalated_by", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(*COMPLETE)


def downgrade() -> None:
    with op.batch_alter_table("discharges") as batch_op:
        batch_op.drop_constraint(batch_op.f(f"ck_discharges_{COMPLETE[0]}"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_discharges_escalation_kind"), type_="check")
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
