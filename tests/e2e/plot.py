"""Read the pain trajectory plot (matplotlib's inline SVG) the way a test needs it.

:mod:`rhizo.plots.pain` draws clinic follow-ups as circles in ``#1f5f8b`` and
diary entries as squares in ``#e07a1f``; matplotlib writes each data marker as
a ``<use>`` inside the axes' clip group, while the legend's sample markers sit
outside it. So the clipped ``<use>`` elements of one colour are the plotted
points of one series.
"""

from __future__ import annotations

from playwright.sync_api import Locator

FOLLOW_UP_COLOUR = "#1f5f8b"
DIARY_COLOUR = "#e07a1f"


def plotted_points(plot: Locator, colour: str) -> Locator:
    """The data markers of one series in the ``<svg>`` under ``plot``."""
    return plot.locator(f'svg g[clip-path] > use[style*="fill: {colour}"]')
