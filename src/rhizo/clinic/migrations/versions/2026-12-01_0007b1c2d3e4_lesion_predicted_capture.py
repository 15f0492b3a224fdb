"""Lesions store the capture planner's prediction for them (issue 17, the record link).

Adds to ``lesions`` the nullable columns ``predicted_capture_probability``
(0-1), ``predicted_coagulated_length_mm`` (>= 0), ``prediction_model`` (the
model's short version string) and ``prediction_note`` (why there is none),
with CHECK constraints on the two numbers, as in
:class:`rhizo.clinic.procedure.models.Lesion`. Lesions recorded before this
revision get NULL everywhere: no prediction was made (not "no capture").
Downgrade drops the constraints and the columns.

Revision ID: 0007b1c2d3e4
Revises: 0006a7b8c9d0
Create Date: 2026-12-01 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007b1c2d3e4"
down_revision: str | Sequence[str] | None = "0006a7b8c9d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (name, SQL) of each check, as in rhizo.clinic.procedure.models.Lesion.
CHECKS = (
    (
        "predicted_capture_probability_range",
        "predicted_capture_probability IS NULL OR predicted_capture_probability BETWEEN 0 AND 1",
    ),
    (
        "predicted_coagulated_length_nonnegative",
        "predicted_coagulated_length_mm IS NULL OR predicted_coagulated_length_mm >= 0",
    ),
)
COLUMNS = (
    "predicted_capture_probability",
    "predicted_coagulated_length_mm",
    "prediction_model",
    "prediction_note",
)


def upgrade() -> None:
    with op.batch_alter_table("lesions") as batch_op:
        batch_op.add_column(sa.Column("predicted_capture_probability", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("predicted_coagulated_length_mm", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("prediction_model", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("prediction_note", sa.String(length=200), nullable=True))
        for name, sql in CHECKS:
            batch_op.create_check_constraint(name, sql)


def downgrade() -> None:
    with op.batch_alter_table("lesions") as batch_op:
        for name, _ in CHECKS:
            batch_op.drop_constraint(batch_op.f(f"ck_lesions_{name}"), type_="check")
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
