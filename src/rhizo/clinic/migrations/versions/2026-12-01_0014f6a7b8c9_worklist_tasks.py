"""Worklist tasks raised by the pathway (issue 18).

RESERVED: filled in by the worklist_tasks work; until then it changes nothing.

Revision ID: 0014f6a7b8c9
Revises: 0013e5f6a7b8
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014f6a7b8c9"
down_revision: str | Sequence[str] | None = "0013e5f6a7b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
