"""Users: login defence (throttling, lockout, TOTP second factor).

Reserved in the migration chain for: login throttling, lockout and TOTP.
Until that work lands this revision
changes nothing (upgrade and downgrade are no-ops).

Revision ID: 0003c1d2e3f4
Revises: 0002b7c8d9e0
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003c1d2e3f4"
down_revision: str | Sequence[str] | None = "0002b7c8d9e0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
