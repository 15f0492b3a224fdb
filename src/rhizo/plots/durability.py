"""Durability of relief: Kaplan-Meier step curves with 95 % bands and a published reference.

Plain values in (times in calendar months, survival fractions), so the clinic
layer hands over its curves without this module knowing about the registry;
the y axis is the share of procedures still giving at least 50 % relief.
Published figures are drawn as labelled diamonds. The numbers still at risk
written under the axis are the caller's (the rows of its table), never
recounted here, so the plot and the table cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from rhizo.plots.pain import figure_svg

COLOURS = ("#1f5f8b", "#e07a1f", "#2a9d3f", "#8e44ad", "#c0392b", "#7f8c8d")
TICK_MONTHS = (0, 3, 6, 9, 12, 18, 24)


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
    with matplotlib.rc_context({"text.parse_math": False}):
        return _durability_figure(curves, published, published_label, title)


def _durability_figure(
    curves: Sequence[CurveSeries],
    published: Sequence[PublishedPoint],
    published_label: str,
    title: str,
) -> Figure:
    rows = len(curves)
    # Inches: plot 3.2, x label 0.6, the at-risk header and one line per curve below it.
    table_in = 0.3 + 0.22 * rows
    height_in = 3.2 + 0.6 + table_in + 0.45
    figure = plt.figure(figsize=(8.0, height_in))
    bottom = (0.6 + table_in) / height_in
    axes = figure.add_axes((0.2, bottom, 0.76, 3.2 / height_in))
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
            xytext=(6, 4),
            fontsize=7.5,
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
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper right", fontsize=8, frameon=False)
    # At-risk table under the x label: x in months (data), y in figure fractions.
    under = blended_transform_factory(axes.transData, figure.transFigure)
    header_y = (table_in - 0.05) / height_in
    figure.text(0.01, header_y, "at risk", fontsize=7.5, style="italic", va="top")
    for row, series in enumerate(curves):
        y = (table_in - 0.3 - 0.22 * row) / height_in
        figure.text(
            0.01, y, series.label[:30], fontsize=7.5, va="top", color=COLOURS[row % len(COLOURS)]
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
                fontsize=7.5,
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
