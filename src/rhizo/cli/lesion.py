"""``rhizo lesion``: simulate one RF heat lesion (filled in by the lesion-engine issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``lesion`` command to the main app."""
    del app
