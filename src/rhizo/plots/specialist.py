"""A specialist's outcome rates beside the clinic's, with 95 % confidence intervals.

Plain values in (counts and interval bounds), so the clinic layer hands over
its figures without this module knowing about the registry. Bars are grouped
by measure (e.g. responders at 3 and at 6 months); each bar is one group of
procedures (the specialist, the clinic), with its Wilson interval as an error
bar and ``events/total`` written above it. A bar with fewer than
``min_total`` cases is hatched and marked "too few to judge".
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rhizo.plots.pain import figure_svg
from rhizo.plots.screen import MIN_FONT_PT, TITLE_FONT_PT, WIDTH_IN, screen_fonts

COLOURS = ("#1f5f8b", "#9aa5ad", "#e07a1f", "#2a9d3f")
#: Characters a 13 pt title line holds across a 5-inch figure.
TITLE_CHARS = 44
#: Characters a 12 pt measure name holds under its group of bars (about 1.4 in).
GROUP_CHARS = 14


@dataclass(frozen=True)
class RateBar:
    """One proportion: ``events`` of ``total`` with its 95 % interval (fractions 0-1)."""

    label: str
    events: int
    total: int
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class RateGroup:
    """The bars of one measure, in the same order in every group."""

    title: str
    bars: tuple[RateBar, ...]


def rates_figure(
    groups: Sequence[RateGroup],
    *,
    min_total: int = 10,
    title: str = "Outcome rates with 95 % confidence intervals",
) -> Figure:
    """Grouped bars in percent with interval error bars and ``k/n`` labels.

    Labels are names typed into the registry: ``$`` is text there, never
    matplotlib's math mode (``Dr $x^$ Lee`` would otherwise fail to render).
    """
    # Sized for a phone first (rhizo.plots.screen): 5 in wide, no text under 12 pt.
    with matplotlib.rc_context({"text.parse_math": False}), screen_fonts():
        return _rates_figure(groups, min_total=min_total, title=title)


def _rates_figure(groups: Sequence[RateGroup], *, min_total: int, title: str) -> Figure:
    title_lines = textwrap.wrap(title, TITLE_CHARS) or [""]
    group_titles = ["\n".join(textwrap.wrap(g.title, GROUP_CHARS)) or " " for g in groups]
    tick_lines = max((t.count("\n") + 1 for t in group_titles), default=1)
    entries = len({bar.label for group in groups for bar in group.bars})
    # Inches, top to bottom: the title, the legend (one entry a row: a row of names
    # outgrows a phone), the bars, the measures' names under them.
    top_in = 0.15 + 0.24 * len(title_lines)
    legend_in = 0.26 * entries + 0.1
    axes_in, ticks_in = 2.4, 0.2 + 0.21 * tick_lines
    height_in = top_in + legend_in + axes_in + ticks_in
    left_in, right_in = 0.78, 0.1
    figure = plt.figure(figsize=(WIDTH_IN, height_in))
    # Fixed axes: constrained layout triples the render time (docs/performance.md).
    axes = figure.add_axes(
        (
            left_in / WIDTH_IN,
            ticks_in / height_in,
            1 - (left_in + right_in) / WIDTH_IN,
            axes_in / height_in,
        )
    )
    width = 0.8 / max(1, max((len(g.bars) for g in groups), default=1))
    labels_seen: set[str] = set()
    for g_index, group in enumerate(groups):
        for b_index, bar in enumerate(group.bars):
            x = g_index + (b_index - (len(group.bars) - 1) / 2) * width
            colour = COLOURS[b_index % len(COLOURS)]
            legend = bar.label if bar.label not in labels_seen else None
            labels_seen.add(bar.label)
            if bar.total == 0:
                axes.bar(x, 0, width, color=colour, label=legend)
                axes.text(
                    x, 2, "no cases", ha="center", va="bottom", fontsize=MIN_FONT_PT, rotation=90
                )
                continue
            percent = 100.0 * bar.events / bar.total
            few = bar.total < min_total
            axes.bar(
                x,
                percent,
                width,
                color=colour,
                alpha=0.45 if few else 1.0,
                hatch="//" if few else None,
                edgecolor="#333333" if few else colour,
                label=legend,
            )
            top = percent
            if bar.low is not None and bar.high is not None:
                low, high = 100.0 * bar.low, 100.0 * bar.high
                axes.errorbar(
                    x,
                    percent,
                    # max(0, ...): rounding can put a bound a hair inside the estimate.
                    yerr=np.array([[max(0.0, percent - low)], [max(0.0, high - percent)]]),
                    color="#222222",
                    capsize=3,
                    linewidth=1,
                )
                top = high
            text = f"{bar.events}/{bar.total}" + ("\ntoo few" if few else "")
            axes.text(x, top + 1.5, text, ha="center", va="bottom", fontsize=MIN_FONT_PT)
    axes.set_xticks(range(len(groups)), group_titles, fontsize=MIN_FONT_PT)
    axes.set_ylim(0, 115)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("% of procedures")
    figure.suptitle("\n".join(title_lines), fontsize=TITLE_FONT_PT, y=1 - 0.08 / height_in)
    axes.grid(axis="y", alpha=0.3)
    if labels_seen:
        # Above the axes, under the title: bars reach 100 % and would hide a legend inside.
        figure.legend(
            loc="upper left",
            bbox_to_anchor=(0.02, 1 - top_in / height_in),
            ncol=1,
            fontsize=MIN_FONT_PT,
            frameon=False,
            borderaxespad=0.0,
        )
    return figure


@lru_cache(maxsize=256)
def rates_svg(groups: tuple[RateGroup, ...], *, min_total: int = 10, title: str) -> str:
    """:func:`rates_figure` as inline SVG, cached on its inputs.

    Rendering costs tens of milliseconds; the figures behind it change only
    when the outcome counts do, so equal inputs reuse the SVG.
    """
    return figure_svg(rates_figure(groups, min_total=min_total, title=title), title=title)
