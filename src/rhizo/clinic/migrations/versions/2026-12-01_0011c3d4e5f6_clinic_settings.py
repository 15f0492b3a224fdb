"""Clinic settings edited by the admin (issue 16, admin pages).

Placeholder revision reserved by the lead for issue 16 so that the chain is fixed
while several slices are built at once; the slice that owns it fills in
upgrade() and downgrade() and rewrites this docstring.

Revision ID: 0011c3d4e5f6
Revises: 0010b2c3d4e5
Create Date: 2026-12-01 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0011c3d4e5f6"
down_revision: str | Sequence[str] | None = "0010b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
