"""Audit trail: hash chain for tamper evidence and wider audited events.

Reserved in the migration chain for: audit hash chain.
Until that work lands this revision
changes nothing (upgrade and downgrade are no-ops).

Revision ID: 0005e9f0a1b2
Revises: 0004d5e6f7a8
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005e9f0a1b2"
down_revision: str | Sequence[str] | None = "0004d5e6f7a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
