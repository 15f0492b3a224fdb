"""Durability of relief: Kaplan-Meier step curves with 95 % bands and a published reference.

Plain values in (times in calendar months, survival fractions), so the clinic
layer hands over its curves without this module knowing about the registry;
the y axis is the share of procedures still giving at least 50 % relief.
Published figures are drawn as labelled diamonds. The numbers still at risk
written under the axis are the caller's (the rows of its table), never
recounted here, so the plot and the table cannot disagree.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from rhizo.plots.pain import figure_svg
from rhizo.plots.screen import MIN_FONT_PT, TITLE_FONT_PT, WIDTH_IN, screen_fonts

COLOURS = ("#1f5f8b", "#e07a1f", "#2a9d3f", "#8e44ad", "#c0392b", "#7f8c8d")
TICK_MONTHS = (0, 3, 6, 9, 12, 18, 24)
#: Characters a title line holds at 13 pt across a 5-inch figure.
TITLE_CHARS = 44


@dataclass(frozen=True)
class CurveSeries:
    """One step curve: at ``times_months[i]`` the value becomes ``survival[i]``."""

    label: str
    times_months: Sequence[float]
    survival: Sequence[float]
    lower: Sequence[float]
    upper: Sequence[float]
    #: (months, number still at risk) written under the axis: the caller's table rows.
    at_risk: Sequence[tuple[float, int]]


@dataclass(frozen=True)
class PublishedPoint:
    """A published share still successful (%), at a time after the procedure."""

    months: float
    percent: float
    label: str


def durability_figure(
    curves: Sequence[CurveSeries],
    *,
    published: Sequence[PublishedPoint] = (),
    published_label: str = "published",
    title: str = "Share of procedures still giving >= 50 % relief",
) -> Figure:
    """Step curves in percent against months, bands shaded, at-risk counts below."""
    # Labels can be names typed into the registry: ``$`` stays text, never math mode.
    # Sized for a phone first (rhizo.plots.screen): 5 in wide, no text under 12 pt.
    with matplotlib.rc_context({"text.parse_math": False}), screen_fonts():
        return _durability_figure(curves, published, published_label, title)


def _durability_figure(
    curves: Sequence[CurveSeries],
    published: Sequence[PublishedPoint],
    published_label: str,
    title: str,
) -> Figure:
    rows = len(curves)
    title_lines = textwrap.wrap(title, TITLE_CHARS) or [""]
    entries = rows + (1 if published else 0)
    # Inches, top to bottom: the title, the plot, its x label, the legend (one entry a
    # row, under the plot so it hides no curve on a phone), then the at-risk table:
    # a header and two lines per curve (its name, then its counts under the ticks).
    top_in = 0.15 + 0.24 * len(title_lines)
    plot_in, xlabel_in = 2.6, 0.7
    legend_in = 0.26 * entries + 0.1
    table_in = 0.3 + 0.46 * rows
    height_in = top_in + plot_in + xlabel_in + legend_in + table_in
    figure = plt.figure(figsize=(WIDTH_IN, height_in))
    left_in, right_in = 0.72, 0.15
    axes_width = 1 - (left_in + right_in) / WIDTH_IN
    bottom = (xlabel_in + legend_in + table_in) / height_in
    axes = figure.add_axes((left_in / WIDTH_IN, bottom, axes_width, plot_in / height_in))
    last_month = max(
        [max(c.times_months) for c in curves if len(c.times_months)]
        + [p.months for p in published]
        + [1]
    )
    span_months = max(12.0, min(36.0, float(np.ceil(last_month / 3) * 3)))
    for index, series in enumerate(curves):
        colour = COLOURS[index % len(COLOURS)]
        months = np.asarray(series.times_months, dtype=float)
        # Extend the last step to the curve's last observation (it already is) and draw it.
        axes.step(
            months,
            100 * np.asarray(series.survival),
            where="post",
            color=colour,
            lw=1.8,
            label=series.label,
        )
        axes.fill_between(
            months,
            100 * np.asarray(series.lower),
            100 * np.asarray(series.upper),
            step="post",
            color=colour,
            alpha=0.15,
            lw=0,
        )
    for point in published:
        axes.plot(point.months, point.percent, "D", color="black", ms=5)
        axes.annotate(
            f"{point.percent:g} % ({point.label})",
            (point.months, point.percent),
            textcoords="offset points",
            # Right of the point, or left of it in the last third (it stays inside).
            xytext=(5, 4) if point.months < span_months * 2 / 3 else (-5, 4),
            ha="left" if point.months < span_months * 2 / 3 else "right",
            fontsize=MIN_FONT_PT,
        )
    if published:
        axes.plot([], [], "D", color="black", ms=5, label=published_label)
    axes.set_xlim(0, span_months)
    axes.set_ylim(0, 102)
    ticks = [m for m in TICK_MONTHS if m <= span_months] + (
        [int(span_months)] if span_months > TICK_MONTHS[-1] else []
    )
    axes.set_xticks(ticks)
    axes.set_xlabel("months after the procedure")
    axes.set_ylabel("% with >= 50 % relief")
    axes.axhline(50, color="#999999", lw=0.8, ls=":")
    axes.grid(alpha=0.3)
    axes.set_title("\n".join(title_lines), fontsize=TITLE_FONT_PT)
    axes.legend(
        loc="upper left",
        bbox_to_anchor=(0.02, (legend_in + table_in) / height_in),
        bbox_transform=figure.transFigure,
        fontsize=MIN_FONT_PT,
        frameon=False,
        borderaxespad=0.0,
    )
    # At-risk table under the legend: x in months (data), y in figure fractions.
    under = blended_transform_factory(axes.transData, figure.transFigure)
    header_y = (table_in - 0.05) / height_in
    figure.text(0.02, header_y, "number at risk", fontsize=MIN_FONT_PT, style="italic", va="top")
    for row, series in enumerate(curves):
        name_y = (table_in - 0.3 - 0.46 * row) / height_in
        y = (table_in - 0.3 - 0.46 * row - 0.22) / height_in
        figure.text(
            0.02,
            name_y,
            series.label[:40],
            fontsize=MIN_FONT_PT,
            va="top",
            color=COLOURS[row % len(COLOURS)],
        )
        for tick_months, at_risk in series.at_risk:
            if tick_months > span_months:
                continue
            axes.text(
                tick_months,
                y,
                str(at_risk),
                transform=under,
                ha="center",
                va="top",
                fontsize=MIN_FONT_PT,
            )
    return figure


def durability_svg(
    curves: Sequence[CurveSeries],
    *,
    published: Sequence[PublishedPoint] = (),
    published_label: str = "published",
    title: str = "Share of procedures still giving >= 50 % relief",
) -> str:
    """The figure as an inline ``<svg>`` element."""
    figure = durability_figure(
        curves, published=published, published_label=published_label, title=title
    )
    return figure_svg(figure, title=title)
