"""Allergies and patient demographics (issue 16, medications and registration).

Placeholder revision reserved by the lead for issue 16 so that the chain is fixed
while several slices are built at once; the slice that owns it fills in
upgrade() and downgrade() and rewrites this docstring.

Revision ID: 0009a1b2c3d4
Revises: 0008c4d5e6f7
Create Date: 2026-12-01 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009a1b2c3d4"
down_revision: str | Sequence[str] | None = "0008c4d5e6f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
