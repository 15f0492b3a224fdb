"""``rhizo`` commands of the pathway layer (filled in by its issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this layer's commands to the main app."""
    del app
