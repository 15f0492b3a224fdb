"""Clinic settings edited by the admin; a temporary password must be changed (issue 16).

Creates ``clinic_settings``: one row (``id`` = 1, CHECK ``single_row``) with the
clinic's ``name``, ``phone`` and ``hours`` (each NULL: the ``RHIZO_CLINIC_*``
environment value applies), ``updated_by`` (the admin's username), ``version``
and the timestamps, as in :class:`rhizo.clinic.core.clinic_settings.models.ClinicSettingsRow`.
Adds ``users.must_change_password`` (boolean, NOT NULL, server default false):
set when an admin resets a password to a temporary one, cleared when the user
chooses their own; existing users get false. Downgrade drops both.

Revision ID: 0011c3d4e5f6
Revises: 0010b2c3d4e5
Create Date: 2026-12-01 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011c3d4e5f6"
down_revision: str | Sequence[str] | None = "0010b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clinic_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("hours", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_clinic_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_settings")),
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
    op.drop_table("clinic_settings")
