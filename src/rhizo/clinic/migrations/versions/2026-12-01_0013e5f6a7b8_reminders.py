"""The reminder outbox and its send records (issue 18).

RESERVED: filled in by the reminders work; until then it changes nothing.

Revision ID: 0013e5f6a7b8
Revises: 0012d4e5f6a7
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0013e5f6a7b8"
down_revision: str | Sequence[str] | None = "0012d4e5f6a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
