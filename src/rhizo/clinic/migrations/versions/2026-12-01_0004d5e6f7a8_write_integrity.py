"""Write integrity: idempotency keys for creates and row versions for edits.

Reserved in the migration chain for: Idempotency-Key and edit versions.
Until that work lands this revision
changes nothing (upgrade and downgrade are no-ops).

Revision ID: 0004d5e6f7a8
Revises: 0003c1d2e3f4
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004d5e6f7a8"
down_revision: str | Sequence[str] | None = "0003c1d2e3f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
