"""Allergies, a medication's stop reason and the patient's referring clinician (issue 16).

Creates ``allergies`` (category contrast | local_anaesthetic | latex |
antiseptic | other, substance, reaction, severity mild | moderate | severe |
unknown, recorded_on, entered_in_error with its reason, version and
timestamps; CHECK that ``other`` names its substance), as in
:class:`rhizo.clinic.allergy.models.Allergy`. Adds ``medications.stop_reason``
and ``patients.referrer_name`` / ``patients.referrer_address`` (the referring
clinician the letter is addressed to), all nullable: rows recorded before this
revision get NULL (nothing was recorded). Downgrade drops them.

Revision ID: 0009a1b2c3d4
Revises: 0008c4d5e6f7
Create Date: 2026-12-01 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009a1b2c3d4"
down_revision: str | Sequence[str] | None = "0008c4d5e6f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allergies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "contrast",
                "local_anaesthetic",
                "latex",
                "antiseptic",
                "other",
                name="allergy_category",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("substance", sa.String(length=120), nullable=True),
        sa.Column("reaction", sa.String(length=200), nullable=True),
        sa.Column(
            "severity",
            sa.Enum(
                "mild",
                "moderate",
                "severe",
                "unknown",
                name="allergy_severity",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("entered_in_error", sa.Boolean(), nullable=False),
        sa.Column("error_reason", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category <> 'other' OR substance IS NOT NULL", name=op.f("ck_allergies_other_named")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_allergies_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allergies")),
    )
    with op.batch_alter_table("allergies") as batch_op:
        batch_op.create_index(batch_op.f("ix_allergies_patient_id"), ["patient_id"], unique=False)
    with op.batch_alter_table("medications") as batch_op:
        batch_op.add_column(sa.Column("stop_reason", sa.String(length=200), nullable=True))
    with op.batch_alter_table("patients") as batch_op:
        batch_op.add_column(sa.Column("referrer_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("referrer_address", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch_op:
        batch_op.drop_column("referrer_address")
        batch_op.drop_column("referrer_name")
    with op.batch_alter_table("medications") as batch_op:
        batch_op.drop_column("stop_reason")
    with op.batch_alter_table("allergies") as batch_op:
        batch_op.drop_index(batch_op.f("ix_allergies_patient_id"))
    op.drop_table("allergies")
