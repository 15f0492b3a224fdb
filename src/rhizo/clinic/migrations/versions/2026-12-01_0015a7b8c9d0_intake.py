"""Consultation requests and their triage (issue 18).

Creates ``consultation_requests``: a request for a consultation from the public
page or the patient portal (name, e-mail and/or phone: CHECK has_contact; region
of pain; how long in weeks, 0-5200; referring doctor; preferred weekdays, parts of
the day and a note; the message), where it came from (``source``; a portal
request names its patient: CHECK portal_has_patient), its triage (status new,
info_requested, booked or declined, a decline's reason: CHECK declined_has_reason,
the question last sent, the booked appointment, who triaged it and when) and a
keyed hash of the client address for the rate limit; as in
:mod:`rhizo.clinic.intake.models`. Downgrade drops it.

Revision ID: 0015a7b8c9d0
Revises: 0014f6a7b8c9
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015a7b8c9d0"
down_revision: str | Sequence[str] | None = "0014f6a7b8c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "public", "portal", name="request_source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "region",
            sa.Enum(
                "lumbar",
                "cervical",
                "thoracic",
                "sacroiliac",
                "not_sure",
                name="pain_region",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("pain_weeks", sa.Double(), nullable=True),
        sa.Column("referrer_name", sa.String(length=200), nullable=True),
        sa.Column("preferred_days", sa.JSON(), nullable=False),
        sa.Column("preferred_parts", sa.JSON(), nullable=False),
        sa.Column("preferred_note", sa.String(length=300), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "info_requested",
                "booked",
                "declined",
                name="request_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("info_message", sa.String(length=1000), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("triaged_by", sa.String(length=64), nullable=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source <> 'portal' OR patient_id IS NOT NULL",
            name=op.f("ck_consultation_requests_portal_has_patient"),
        ),
        sa.CheckConstraint(
            "status <> 'declined' OR decline_reason IS NOT NULL",
            name=op.f("ck_consultation_requests_declined_has_reason"),
        ),
        sa.CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL",
            name=op.f("ck_consultation_requests_has_contact"),
        ),
        sa.CheckConstraint(
            "pain_weeks IS NULL OR (pain_weeks >= 0 AND pain_weeks <= 5200)",
            name=op.f("ck_consultation_requests_pain_weeks_range"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_consultation_requests_appointment_id_appointments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_consultation_requests_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_requests")),
    )
    with op.batch_alter_table("consultation_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consultation_requests_client_created", ["client_hash", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consultation_requests_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "ix_consultation_requests_status_created", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_requests_status_created")
        batch_op.drop_index(batch_op.f("ix_consultation_requests_patient_id"))
        batch_op.drop_index("ix_consultation_requests_client_created")

    op.drop_table("consultation_requests")
