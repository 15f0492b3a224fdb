"""The pain trajectory: NRS over time, procedure dates marked, the responder threshold drawn.

Plain values in (dates and scores), so the clinic layer can hand over its rows
without this module knowing about the registry. :func:`figure_svg` renders any
figure as an inline ``<svg>`` string for server-side pages (no JavaScript).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator

from rhizo.plots.screen import MIN_FONT_PT, TITLE_FONT_PT, WIDTH_IN, screen_fonts

#: Cohen 2010 (via rhizo.pathway knowledge ``outcomes/responder``): >= 50 % relief.
RESPONDER_RELIEF_PERCENT = 50.0


def _days(dates: Sequence[date]) -> np.ndarray:
    return np.array(dates, dtype="datetime64[D]")


def _month_ticks(first: date, last: date, most: int = 8) -> list[date]:
    """First days of months bracketing ``first``..``last``, every 1-60 months, about ``most``.

    Fixed ticks instead of matplotlib's AutoDateLocator, which recomputes its
    rrule at each of the several tick updates of a draw (docs/performance.md).
    The first tick is on or before ``first`` and the last after ``last``, so
    the ticks can bound the axis.
    """
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 36) if months / s <= most), None)
    if step is None:  # decades or more: whole years, at least five, about `most` ticks
        step = 12 * max(5, -(-months // (12 * most)))
    index = first.year * 12 + first.month - 1
    index -= index % step  # the last multiple of step at or before first's month
    index = max(index, 12)  # no year 0 (an axis from 0001-01-01)
    ticks: list[date] = []
    while not ticks or ticks[-1] <= last:
        year, month = divmod(index, 12)
        if year > date.max.year:  # an axis to 9999-12-31 ends with the calendar
            break
        ticks.append(date(year, month + 1, 1))
        index += step
    return ticks


@dataclass(frozen=True)
class PainPoint:
    """One NRS score on a date; ``diary`` when the patient recorded it."""

    on: date
    nrs: int
    diary: bool = False


def responder_threshold_nrs(
    baseline_nrs: float, relief_percent: float = RESPONDER_RELIEF_PERCENT
) -> float:
    """The NRS at or under which a score is ``relief_percent`` % relief of the baseline.

    ``threshold = baseline * (1 - relief_percent / 100)``.
    """
    return baseline_nrs * (1.0 - relief_percent / 100.0)


def pain_figure(
    points: Sequence[PainPoint],
    procedure_dates: Sequence[date],
    *,
    baseline_nrs: float | None = None,
    relief_percent: float = RESPONDER_RELIEF_PERCENT,
    title: str = "Pain trajectory (NRS 0-10)",
) -> Figure:
    """NRS over time; vertical lines at procedures; the responder line under the baseline.

    The responder threshold is ``baseline * (1 - relief_percent / 100)``: a score
    at or below it is at least ``relief_percent`` % relief of the baseline.
    """
    # Sized for a phone first (rhizo.plots.screen): 5 in wide, no text under 12 pt.
    with screen_fonts():
        return _pain_figure(points, procedure_dates, baseline_nrs, relief_percent, title)


def _pain_figure(
    points: Sequence[PainPoint],
    procedure_dates: Sequence[date],
    baseline_nrs: float | None,
    relief_percent: float,
    title: str,
) -> Figure:
    clinic = sorted((p for p in points if not p.diary), key=lambda p: p.on)
    diary = sorted((p for p in points if p.diary), key=lambda p: p.on)
    entries = (
        bool(clinic) + bool(diary) + bool(procedure_dates) + (2 if baseline_nrs is not None else 0)
    )
    # Inches, top to bottom: title, axes, tick labels, then the legend under the axes
    # (one entry a row: inside the axes it would hide the scores on a phone).
    top_in, axes_in, ticks_in = 0.4, 2.4, 0.45
    legend_in = 0.26 * entries + (0.12 if entries else 0.0)
    height_in = top_in + axes_in + ticks_in + legend_in
    figure = Figure(figsize=(WIDTH_IN, height_in))
    # Fixed axes: constrained layout re-measures every text and took about two
    # thirds of the patient page's time (docs/performance.md, registry).
    left_in, right_in = 0.62, 0.12
    axes = figure.add_axes(
        (
            left_in / WIDTH_IN,
            (ticks_in + legend_in) / height_in,
            1 - (left_in + right_in) / WIDTH_IN,
            axes_in / height_in,
        )
    )
    if clinic:
        axes.plot(
            _days([p.on for p in clinic]),
            [p.nrs for p in clinic],
            marker="o",
            color="#1f5f8b",
            label="follow-up NRS",
        )
    if diary:
        axes.plot(
            _days([p.on for p in diary]),
            [p.nrs for p in diary],
            linestyle="none",
            marker="s",
            color="#e07a1f",
            label="diary NRS",
        )
    for index, when in enumerate(sorted(procedure_dates)):
        axes.axvline(
            float(mdates.date2num(np.datetime64(when, "D"))),  # type: ignore[no-untyped-call]
            color="#7a2e8e",
            linestyle="--",
            linewidth=1.2,
            label="RF procedure" if index == 0 else None,
        )
    if baseline_nrs is not None:
        threshold = responder_threshold_nrs(baseline_nrs, relief_percent)
        axes.axhline(baseline_nrs, color="#888888", linestyle=":", label="baseline NRS")
        axes.axhline(
            threshold,
            color="#2a9d3f",
            linestyle="-.",
            label=f"responder threshold (>= {relief_percent:g} % relief)",
        )
    axes.set_ylim(-0.3, 10.3)
    axes.set_yticks([0, 2, 4, 6, 8, 10])
    axes.set_ylabel("NRS (0-10)")
    # y given: no automatic title placement (it measures the tick labels at every draw).
    axes.set_title(title, fontsize=TITLE_FONT_PT, y=1.0)
    axes.grid(alpha=0.3)
    shown = [p.on for p in points] + list(procedure_dates)
    if shown:
        first, last = min(shown), max(shown)
        margin = timedelta(days=max(10, round((last - first).days * 0.04)))
        # Clamped at the calendar's ends: an odd stored date (0001-01-01, 9999-12-31)
        # still draws instead of overflowing.
        first = first - margin if first - date.min > margin else date.min
        last = last + margin if date.max - last > margin else date.max
        # At most 4 month labels: 7 characters of 12 pt each fit a 5-inch axis.
        ticks = [t for t in _month_ticks(first, last, most=4) if first <= t <= last]
        label = "%Y-%m"
        if len(ticks) < 2:  # a few days only: label the dates themselves (first, last)
            days = sorted(set(shown))
            ticks, label = sorted({days[0], days[-1]}), "%Y-%m-%d"
        axes.set_xlim(_days([first])[0], _days([last])[0])
        axes.xaxis.set_major_locator(
            FixedLocator([float(mdates.date2num(np.datetime64(t, "D"))) for t in ticks])  # type: ignore[no-untyped-call]
        )
        axes.xaxis.set_major_formatter(FixedFormatter([t.strftime(label) for t in ticks]))
    if not points and not procedure_dates:
        axes.text(0.5, 0.5, "no scores recorded yet", transform=axes.transAxes, ha="center")
    handles, _ = axes.get_legend_handles_labels()
    if handles:
        axes.legend(
            loc="upper left",
            bbox_to_anchor=(-left_in / (WIDTH_IN - left_in - right_in), -ticks_in / axes_in),
            fontsize=MIN_FONT_PT,
            frameon=False,
            borderaxespad=0.0,
            handlelength=1.8,
        )
    return figure


def figure_svg(figure: Figure, *, title: str | None = None) -> str:
    """The figure as an inline ``<svg>`` element (XML prolog dropped), then closed."""
    buffer = io.StringIO()
    metadata = {"Title": title} if title else None
    # Text as <text>, not glyph outlines: half the size, faster, and readable by
    # screen readers and text search.
    with plt.rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata=metadata)
    plt.close(figure)
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
