"""Plans store the patient inputs the drug holds depend on (issue 14).

Adds to ``plans`` the nullable columns ``aspirin_indication`` (primary |
secondary), ``egfr_ml_per_min``, ``inr``, ``stent_months``,
``dual_antiplatelet`` and ``warnings`` (the pathway's warnings as JSON), with
CHECK constraints holding the numbers to the ranges of
:mod:`rhizo.pathway.premed_inputs` (eGFR 0-250, INR 0.5-20, stent months
0-600). Existing plans get NULL: the input was not recorded, which is not the
same as "no". Downgrade drops the columns and their constraints.

Revision ID: 0006a7b8c9d0
Revises: 0005e9f0a1b2
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006a7b8c9d0"
down_revision: str | Sequence[str] | None = "0005e9f0a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (name, SQL) of each range check, as in rhizo.clinic.plan.models.Plan.
CHECKS = (
    ("egfr_range", "egfr_ml_per_min IS NULL OR egfr_ml_per_min BETWEEN 0 AND 250"),
    ("inr_range", "inr IS NULL OR inr BETWEEN 0.5 AND 20"),
    ("stent_months_range", "stent_months IS NULL OR stent_months BETWEEN 0 AND 600"),
)
COLUMNS = (
    "aspirin_indication",
    "egfr_ml_per_min",
    "inr",
    "stent_months",
    "dual_antiplatelet",
    "warnings",
)


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch_op:
        batch_op.add_column(
            sa.Column(
                "aspirin_indication",
                sa.Enum(
                    "primary",
                    "secondary",
                    name="aspirin_indication",
                    native_enum=False,
                    create_constraint=True,
                    length=9,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("egfr_ml_per_min", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("inr", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("stent_months", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("dual_antiplatelet", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "warnings",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        for name, sql in CHECKS:
            batch_op.create_check_constraint(name, sql)


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch_op:
        for name, _ in CHECKS:
            batch_op.drop_constraint(batch_op.f(f"ck_plans_{name}"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_plans_aspirin_indication"), type_="check")
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
