"""A sweep's figures: output histograms, a tornado of Sobol indices, outputs against inputs.

Plain values in (arrays and the report's numbers), PNG out (matplotlib Agg, no GUI),
so the figures show exactly the numbers :mod:`rhizo.sweep.report` writes to
summary.json: the median and the 5-95 % band marked on a histogram are the
:class:`~rhizo.sweep.statistics.Summary`'s, never recomputed here.

- :func:`histogram_figure`: one panel per output; missing (NaN) lesions are left out
  and counted in the panel's title.
- :func:`tornado_figure`: per output, the first-order (S1) and total (ST) Sobol
  indices of each input as horizontal bars with their confidence intervals as error
  bars, inputs sorted by ST (largest at the top): the tornado shape.
- :func:`scatter_figure`: each output (row) against each input (column), at most
  :data:`MAX_SCATTER_POINTS` points (a seeded random subsample, the same rows in
  every panel).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from rhizo.sweep.statistics import SobolIndex

FloatArray = NDArray[np.float64]

#: Points drawn in each scatter panel at most (a subsample beyond: a PNG of 10^5
#: points is a black blot and slow to draw).
MAX_SCATTER_POINTS = 5000
#: Panel size, inches.
PANEL_IN = (3.6, 2.8)
#: Dots per inch of the written PNGs.
DPI = 110
S1_COLOUR = "#1f5f8b"
ST_COLOUR = "#e07a1f"
MARK_COLOUR = "#c0392b"


@dataclass(frozen=True)
class HistogramPanel:
    """One output's values and the summary's marks (median, 5th and 95th percentiles)."""

    label: str
    values: FloatArray
    median: float | None
    p05: float | None
    p95: float | None


def tornado_order(bars: Sequence[SobolIndex]) -> list[SobolIndex]:
    """Bars from the largest total index down (ties keep the spec's order)."""
    return sorted(bars, key=lambda bar: -bar.st)


def histogram_figure(panels: Sequence[HistogramPanel]) -> Figure:
    """One histogram per output with its median (solid) and 5-95 % (dashed) lines."""
    if not panels:
        raise ValueError("histogram_figure needs at least one output")
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(PANEL_IN[0] * columns, PANEL_IN[1] * rows),
        squeeze=False,
        layout="constrained",
    )
    for index, axis in enumerate(axes.flat):
        if index >= len(panels):
            axis.set_visible(False)
            continue
        panel = panels[index]
        values = np.asarray(panel.values, dtype=float)
        finite = values[np.isfinite(values)]
        missing = values.size - finite.size
        if finite.size:
            axis.hist(finite, bins=_bins(finite.size), color=S1_COLOUR, alpha=0.75)
        for mark, style in ((panel.median, "-"), (panel.p05, "--"), (panel.p95, "--")):
            if mark is not None:
                axis.axvline(mark, color=MARK_COLOUR, linestyle=style, linewidth=1.5)
        title = panel.label if not missing else f"{panel.label} ({missing} missing)"
        axis.set_title(title, fontsize=10)
        axis.set_ylabel("lesions")
        axis.tick_params(labelsize=8)
    figure.suptitle("Model outputs: median (solid), 5-95 % (dashed)", fontsize=11)
    return figure


def _bins(count: int) -> int:
    """Sturges-like bin count, 5 to 50."""
    return int(min(max(np.ceil(np.log2(max(count, 1)) + 1) * 2, 5), 50))


def tornado_figure(indices: Mapping[str, Sequence[SobolIndex]]) -> Figure:
    """Per output, S1 and ST bars per input (sorted by ST, largest on top) with CI bars."""
    if not indices:
        raise ValueError("tornado_figure needs the indices of at least one output")
    outputs = list(indices)
    height = max(len(bars) for bars in indices.values())
    # One row per output: the inputs' names are long ("tissue.thermal_conductivity_..."),
    # so each panel gets the figure's whole width.
    figure, axes = plt.subplots(
        len(outputs),
        1,
        figsize=(8.0, (0.45 * height + 1.3) * len(outputs)),
        squeeze=False,
        layout="constrained",
    )
    for axis, output in zip(axes.flat, outputs, strict=True):
        ordered = tornado_order(indices[output])
        # barh draws y = 0 at the bottom: reverse so the largest ST is the top bar.
        ranked = list(reversed(ordered))
        y = np.arange(len(ranked), dtype=float)
        for offset, name, colour, value, interval in (
            (0.2, "ST (total)", ST_COLOUR, "st", "st_ci"),
            (-0.2, "S1 (first order)", S1_COLOUR, "s1", "s1_ci"),
        ):
            centres = np.array([getattr(bar, value) for bar in ranked])
            bounds = np.array([getattr(bar, interval) for bar in ranked]).reshape(-1, 2)
            errors = np.vstack(
                [np.maximum(centres - bounds[:, 0], 0), np.maximum(bounds[:, 1] - centres, 0)]
            )
            axis.barh(
                y + offset,
                centres,
                height=0.38,
                color=colour,
                label=name,
                xerr=errors,
                error_kw={"elinewidth": 1, "capsize": 2},
            )
        axis.set_yticks(y, [bar.input for bar in ranked], fontsize=8)
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_title(output, fontsize=10)
        axis.set_xlabel("Sobol index")
        axis.tick_params(axis="x", labelsize=8)
        axis.legend(fontsize=7, loc="lower right")
    figure.suptitle("Sensitivity: share of the model output's variance", fontsize=11)
    return figure


def subsample(count: int, *, limit: int = MAX_SCATTER_POINTS, seed: int = 0) -> NDArray[np.intp]:
    """Sorted row indices: all rows up to ``limit``, else a seeded random ``limit`` of them."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=limit, replace=False))


def scatter_figure(
    inputs: Mapping[str, FloatArray],
    outputs: Mapping[str, FloatArray],
    *,
    limit: int = MAX_SCATTER_POINTS,
    seed: int = 0,
) -> Figure:
    """A grid of panels: output (row) against input (column), <= ``limit`` points each."""
    if not inputs or not outputs:
        raise ValueError("scatter_figure needs at least one input and one output")
    counts = {np.asarray(column).size for column in (*inputs.values(), *outputs.values())}
    if len(counts) != 1:
        raise ValueError(f"scatter_figure: columns differ in length: {sorted(counts)}")
    rows = subsample(counts.pop(), limit=limit, seed=seed)
    figure, axes = plt.subplots(
        len(outputs),
        len(inputs),
        figsize=(2.6 * len(inputs), 2.2 * len(outputs)),
        squeeze=False,
        layout="constrained",
    )
    for i, (output, y_values) in enumerate(outputs.items()):
        for j, (name, x_values) in enumerate(inputs.items()):
            axis = axes[i, j]
            axis.scatter(
                np.asarray(x_values)[rows],
                np.asarray(y_values)[rows],
                s=3,
                alpha=0.4,
                color=S1_COLOUR,
                linewidths=0,
            )
            axis.tick_params(labelsize=6)
            if i == len(outputs) - 1:
                axis.set_xlabel(name, fontsize=7)
            if j == 0:
                axis.set_ylabel(output, fontsize=7)
    figure.suptitle(f"Outputs against inputs ({rows.size:,} lesions shown)", fontsize=10)
    return figure


def save_png(figure: Figure, path: Path) -> Path:
    """Write ``figure`` as a PNG at :data:`DPI` and close it (frees matplotlib's memory)."""
    try:
        figure.savefig(path, dpi=DPI, format="png")
    finally:
        plt.close(figure)
    return path
