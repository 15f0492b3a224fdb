"""Plots for a page, sized for a phone first: the figure width and the smallest font, in one place.

A page draws each plot's SVG at 100 % of its column (``.plot svg`` in the web
app's rhizo.css), keeping the viewBox, so every unit of the figure scales by
the same factor. Matplotlib's SVG viewBox is in points (72 per inch), so a
figure ``W`` inches wide shows a font of ``s`` pt at

    rendered_px = s * column_px / (72 * W)

At a 390 CSS px phone the column is about 348 px (390 less main's 0.5 rem and
a card's 0.75 rem padding and 1 px border, each side). For at least 11 px on
screen (issue 16 measured about 3 px with 7-10 pt text on 8-inch figures),
``s >= 11 * 72 * W / 348``: 11.4 pt on a 5-inch figure, hence 12 pt.
On a desktop the CSS caps the plot at 32 rem (512 px): 12 pt shows as 17 px.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

#: A plot's width on a page, inches (its viewBox is 72 times this, in points).
WIDTH_IN = 5.0
#: Every text of a page plot is at least this size, points (figure units).
MIN_FONT_PT = 12.0
#: Titles, one step up.
TITLE_FONT_PT = 13.0
#: The plot column on a 390 CSS px phone (rhizo.css phone layout), CSS px.
PHONE_COLUMN_PX = 348.0
#: Points per inch in matplotlib's SVG viewBox.
PT_PER_IN = 72.0

#: Matplotlib's text sizes for page plots: nothing below :data:`MIN_FONT_PT`.
RC_PARAMS: dict[Any, float] = {
    "font.size": MIN_FONT_PT,
    "axes.titlesize": TITLE_FONT_PT,
    "axes.labelsize": MIN_FONT_PT,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": TITLE_FONT_PT,
}


def rendered_px(
    font_pt: float, *, width_in: float = WIDTH_IN, column_px: float = PHONE_COLUMN_PX
) -> float:
    """CSS px of a ``font_pt`` text on a ``width_in`` figure drawn ``column_px`` wide.

    ``rendered_px = font_pt * column_px / (72 * width_in)``.
    """
    if width_in <= 0 or column_px <= 0:
        raise ValueError(f"width_in and column_px must be > 0, got {width_in} and {column_px}")
    return font_pt * column_px / (PT_PER_IN * width_in)


@contextmanager
def screen_fonts() -> Iterator[None]:
    """Matplotlib's defaults for page plots (:data:`RC_PARAMS`) while a figure is built."""
    with matplotlib.rc_context(RC_PARAMS):
        yield
