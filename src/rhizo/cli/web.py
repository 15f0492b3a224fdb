"""``rhizo demo``: the clinic web application on a demo cohort (issue 6)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the web application's commands to the main app."""
    del app
