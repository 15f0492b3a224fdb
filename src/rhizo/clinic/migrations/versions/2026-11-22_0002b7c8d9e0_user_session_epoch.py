"""Users: session epoch, so logout and a password change end existing sessions and tokens.

Web session cookies and API bearer tokens carry the epoch they were issued
under; a logout or a password change increments it, and a credential from an
older epoch is refused (server-side revocation without a token table).

Revision ID: 0002b7c8d9e0
Revises: 0001a1b2c3d4
Create Date: 2026-11-22 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002b7c8d9e0"
down_revision: str | Sequence[str] | None = "0001a1b2c3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
