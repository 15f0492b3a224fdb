"""A one-line progress bar on stderr for long computations (``rhizo lesion3d``, ``rhizo sweep``)."""

from __future__ import annotations

import sys
from typing import Annotated, TextIO

import typer

#: The ``--progress/--no-progress`` option of every long command (``wanted`` reads it).
ProgressOption = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="progress bar on stderr (default: when stderr is a terminal)",
    ),
]

#: Characters of the bar between its brackets.
BAR_WIDTH = 30


class ProgressBar:
    """Redraws ``[#####.....]  42 %  3.1 s`` in place (carriage return) on a stream.

    Called as ``bar(fraction_done, elapsed_s)``, or with a ``detail`` text written after
    the time (``rhizo sweep``: "1,234/10,000 lesions  52.1/s  2 min 48 s left"); a line
    shorter than the one before is padded with spaces so no old text stays visible.
    :meth:`close` ends the line. The fraction is clipped to [0, 1] and a non-finite one
    is drawn as 0.
    """

    def __init__(self, stream: TextIO | None = None, label: str = "") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.drawn = False
        self.width = 0

    def __call__(self, fraction: float, elapsed_s: float, detail: str = "") -> None:
        done = fraction if fraction == fraction and abs(fraction) != float("inf") else 0.0
        done = min(max(done, 0.0), 1.0)
        filled = round(done * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        prefix = f"{self.label} " if self.label else ""
        line = f"{prefix}[{bar}] {100 * done:3.0f} %  {elapsed_s:.1f} s"
        if detail:
            line += f"  {detail}"
        self.stream.write(f"\r{line}{' ' * max(self.width - len(line), 0)}")
        self.width = max(self.width, len(line))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the bar's line (if anything was drawn)."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def wanted(flag: bool | None, stream: TextIO | None = None) -> bool:
    """Show a bar: ``--progress`` / ``--no-progress`` when given, else when stderr is a TTY."""
    if flag is not None:
        return flag
    target = stream if stream is not None else sys.stderr
    return bool(getattr(target, "isatty", lambda: False)())
