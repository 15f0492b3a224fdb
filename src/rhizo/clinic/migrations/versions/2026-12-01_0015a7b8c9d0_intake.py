"""Consultation requests and their triage (issue 18).

RESERVED: filled in by the intake work; until then it changes nothing.

Revision ID: 0015a7b8c9d0
Revises: 0014f6a7b8c9
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0015a7b8c9d0"
down_revision: str | Sequence[str] | None = "0014f6a7b8c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
