"""A specialist's outcome rates beside the clinic's, with 95 % confidence intervals.

Plain values in (counts and interval bounds), so the clinic layer hands over
its figures without this module knowing about the registry. Bars are grouped
by measure (e.g. responders at 3 and at 6 months); each bar is one group of
procedures (the specialist, the clinic), with its Wilson interval as an error
bar and ``events/total`` written above it. A bar with fewer than
``min_total`` cases is hatched and marked "too few to judge".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rhizo.plots.pain import figure_svg

COLOURS = ("#1f5f8b", "#9aa5ad", "#e07a1f", "#2a9d3f")


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
    with matplotlib.rc_context({"text.parse_math": False}):
        return _rates_figure(groups, min_total=min_total, title=title)


def _rates_figure(groups: Sequence[RateGroup], *, min_total: int, title: str) -> Figure:
    figure, axes = plt.subplots(figsize=(8.0, 3.8))
    # Fixed margins: constrained layout triples the render time (docs/performance.md).
    figure.subplots_adjust(left=0.08, right=0.985, top=0.8, bottom=0.15)
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
                axes.text(x, 2, "no cases", ha="center", va="bottom", fontsize=7, rotation=90)
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
            axes.text(x, top + 1.5, text, ha="center", va="bottom", fontsize=7)
    axes.set_xticks(range(len(groups)), [g.title for g in groups], fontsize=8)
    axes.set_ylim(0, 115)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("% of procedures")
    figure.suptitle(title, fontsize=10, y=0.985)
    axes.grid(axis="y", alpha=0.3)
    if labels_seen:
        # Above the axes, under the title: bars reach 100 % and would hide a legend inside.
        figure.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, 0.925),
            ncol=len(labels_seen),
            fontsize=8,
            frameon=False,
        )
    return figure


@lru_cache(maxsize=256)
def rates_svg(groups: tuple[RateGroup, ...], *, min_total: int = 10, title: str) -> str:
    """:func:`rates_figure` as inline SVG, cached on its inputs.

    Rendering costs tens of milliseconds; the figures behind it change only
    when the outcome counts do, so equal inputs reuse the SVG.
    """
    return figure_svg(rates_figure(groups, min_total=min_total, title=title), title=title)
