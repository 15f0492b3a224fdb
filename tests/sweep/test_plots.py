"""The sweep's figures: PNGs that read back non-blank, a tornado sorted by ST, a capped scatter."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from rhizo.sweep.plots import (
    MAX_SCATTER_POINTS,
    HistogramPanel,
    histogram_figure,
    save_png,
    scatter_figure,
    subsample,
    tornado_figure,
    tornado_order,
)
from rhizo.sweep.statistics import SobolIndex


def _read_png(path: Path) -> np.ndarray:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = np.asarray(matplotlib.image.imread(path))
    return image


def _non_blank(image: np.ndarray) -> float:
    """Share of pixels that are not the white background."""
    rgb = image[..., :3]
    return float(np.mean(np.any(rgb < 0.95, axis=-1)))


BARS = [
    SobolIndex("a", 0.30, (0.25, 0.35), 0.32, (0.28, 0.36), 0.95),
    SobolIndex("b", 0.05, (0.00, 0.10), 0.60, (0.50, 0.70), 0.95),
    SobolIndex("c", 0.01, (-0.02, 0.04), 0.02, (0.01, 0.03), 0.95),
    SobolIndex("d", 0.20, (0.15, 0.25), 0.25, (0.20, 0.30), 0.95),
]


def test_histograms_png_reads_back_with_its_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(8.0, 0.5, 400)
    values[:7] = np.nan
    panels = [
        HistogramPanel("width_mm", values, 8.0, 7.2, 8.8),
        HistogramPanel("peak_tissue_temperature_c", rng.normal(80, 2, 400), 80.0, 77.0, 83.0),
    ]
    path = save_png(histogram_figure(panels), tmp_path / "histograms.png")
    image = _read_png(path)
    # Two panels side by side: 2 x 3.6 in by 2.8 in at 110 dpi.
    assert image.shape[:2] == (round(2.8 * 110), round(7.2 * 110))
    assert _non_blank(image) > 0.02


def test_histogram_marks_are_the_summary_numbers() -> None:
    figure = histogram_figure([HistogramPanel("width_mm", np.arange(100.0), 49.5, 5.0, 94.0)])
    axis = figure.axes[0]
    marks = sorted(line.get_xdata()[0] for line in axis.get_lines())
    assert marks == [5.0, 49.5, 94.0]
    assert axis.get_title() == "width_mm"


def test_missing_values_are_counted_in_the_title() -> None:
    values = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    figure = histogram_figure([HistogramPanel("x", values, 2.0, 1.1, 2.9)])
    assert figure.axes[0].get_title() == "x (2 missing)"


def test_tornado_bars_run_from_the_largest_total_index_down(tmp_path: Path) -> None:
    expected = ["b", "a", "d", "c"]  # ST 0.60 > 0.32 > 0.25 > 0.02, by hand
    assert [bar.input for bar in tornado_order(BARS)] == expected
    figure = tornado_figure({"width_mm": BARS})
    axis = figure.axes[0]
    labels = [tick.get_text() for tick in axis.get_yticklabels()]
    positions = list(axis.get_yticks())
    top_down = [label for _, label in sorted(zip(positions, labels, strict=True), reverse=True)]
    assert top_down == expected
    # The ST bars (the wider set's colour) have the ST values at those positions.
    rectangles = [p for p in axis.patches if isinstance(p, Rectangle)]
    st_by_y = {
        round(r.get_y() + r.get_height() / 2 - 0.2): r.get_width()
        for r in rectangles
        if r.get_facecolor()[:3] == pytest.approx((0xE0 / 255, 0x7A / 255, 0x1F / 255))
    }
    by_input = dict(zip(labels, positions, strict=True))
    for bar in BARS:
        assert st_by_y[round(by_input[bar.input])] == pytest.approx(bar.st)
    image = _read_png(save_png(figure, tmp_path / "tornado.png"))
    assert _non_blank(image) > 0.02


def test_scatter_subsamples_to_the_cap(tmp_path: Path) -> None:
    n = 12_000
    rng = np.random.default_rng(3)
    x = rng.random(n)
    inputs = {"x1": x, "x2": rng.random(n)}
    outputs = {"y": 2 * x + 1, "z": x**2}
    figure = scatter_figure(inputs, outputs)
    assert len(figure.axes) == 4
    offsets = figure.axes[0].collections[0].get_offsets()
    assert len(offsets) == MAX_SCATTER_POINTS
    # The subsample keeps whole rows: y = 2 x + 1 holds on every drawn point.
    drawn = np.asarray(offsets)
    assert np.allclose(drawn[:, 1], 2 * drawn[:, 0] + 1)
    image = _read_png(save_png(figure, tmp_path / "scatter.png"))
    assert _non_blank(image) > 0.02


def test_subsample_is_every_row_below_the_cap_and_seeded_above() -> None:
    assert list(subsample(5, limit=10)) == [0, 1, 2, 3, 4]
    first = subsample(100, limit=10, seed=4)
    assert len(set(first)) == 10
    assert list(first) == sorted(first)
    assert list(first) == list(subsample(100, limit=10, seed=4))


def test_bad_figure_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one output"):
        histogram_figure([])
    with pytest.raises(ValueError, match="differ in length"):
        scatter_figure({"x": np.zeros(3)}, {"y": np.zeros(4)})
