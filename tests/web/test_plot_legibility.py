"""Page plots are drawn for a phone (issue 16): 5 in wide, no text under 12 pt, nothing cut off.

References: the SVG itself (its viewBox width in points and every ``font:``
size matplotlib writes, parsed here, not read from the figure), the figure's
own bounds for "nothing cut off", and the arithmetic of
:func:`rhizo.plots.screen.rendered_px` done by hand (12 pt on a 360 pt viewBox
drawn 348 px wide is 11.6 px). The browser suite measures the same on screen
(tests/e2e/test_phone_layout.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from rhizo.plots.durability import CurveSeries, PublishedPoint, durability_figure
from rhizo.plots.pain import PainPoint, figure_svg, pain_figure, responder_threshold_nrs
from rhizo.plots.screen import MIN_FONT_PT, WIDTH_IN, rendered_px
from rhizo.plots.specialist import RateBar, RateGroup, rates_figure

START = date(2025, 1, 10)


def _pain() -> Figure:
    points = [
        PainPoint(START + timedelta(days=30 * i), nrs, diary=i % 3 == 0)
        for i, nrs in enumerate([8, 7, 3, 2, 2, 4, 5, 6, 7, 3, 2, 3])
    ]
    return pain_figure(points, [START + timedelta(days=40)], baseline_nrs=8)


def _durability() -> Figure:
    long_name = "Dr Anastasia Synthetic-Longname"  # 31 characters: the longest kept whole
    curves = [
        CurveSeries(
            "Dr Demo Clinician",
            [0, 1, 3, 6, 12],
            [1, 0.9, 0.7, 0.4, 0.25],
            [1, 0.8, 0.5, 0.2, 0.1],
            [1, 1, 0.85, 0.6, 0.45],
            [(0, 20), (3, 15), (6, 9), (9, 5), (12, 3)],
        ),
        CurveSeries(
            long_name,
            [0, 2, 4, 8],
            [1, 0.8, 0.5, 0.3],
            [1, 0.6, 0.3, 0.1],
            [1, 0.95, 0.7, 0.5],
            [(0, 12), (3, 8), (6, 5), (9, 2), (12, 1)],
        ),
    ]
    published = [PublishedPoint(6, 32, "6 months"), PublishedPoint(12, 22, "1 year")]
    return durability_figure(curves, published=published, published_label="Streitberger 2011")


def _rates() -> Figure:
    groups = (
        RateGroup("Responders at 3 months", (RateBar("Dr Demo", 8, 12, 0.4, 0.85),)),
        RateGroup("Responders at 6 months", (RateBar("Dr Demo", 3, 9, 0.1, 0.6),)),
        RateGroup("PGIC much improved", (RateBar("Dr Demo", 0, 0),)),
    )
    return rates_figure(groups, title="Dr Demo Clinician beside the whole clinic, 95 % CI")


FIGURES = {"pain": _pain, "durability": _durability, "rates": _rates}


def test_rendered_px_by_hand() -> None:
    # 12 pt on a 5 in (360 pt) viewBox drawn 348 px wide: 12 * 348 / 360 = 11.6 px.
    assert rendered_px(12.0) == pytest.approx(11.6)
    assert rendered_px(MIN_FONT_PT) >= 11.0
    # The "about 3 px": 7 pt on the old 8 in figures, same column.
    assert rendered_px(7.0, width_in=8.0) == pytest.approx(7 * 348 / 576)
    assert rendered_px(7.0, width_in=8.0) < 4.5
    with pytest.raises(ValueError, match="width_in"):
        rendered_px(12.0, width_in=0)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_svg_is_five_inches_and_no_text_under_the_floor(name: str) -> None:
    svg = figure_svg(FIGURES[name]())
    view_box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert view_box is not None
    assert float(view_box[1]) == pytest.approx(72 * WIDTH_IN)
    # matplotlib writes each text's size as "font-size: <size>px" (user units = pt);
    # one size per <text>, so a text with no size would fail the count too.
    sizes = [float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg)]
    assert len(sizes) == svg.count("<text "), (len(sizes), svg.count("<text "))
    assert sizes, "no text in the SVG"
    assert min(sizes) >= MIN_FONT_PT, sorted(set(sizes))


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_text_is_inside_the_figure(name: str) -> None:
    figure = FIGURES[name]()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    bounds = figure.bbox
    cut = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        # One pixel of slack: antialiasing at the edge.
        if box.x0 < -1 or box.y0 < -1 or box.x1 > bounds.x1 + 1 or box.y1 > bounds.y1 + 1:
            cut.append((text.get_text(), box.bounds))
    assert not cut, cut


def test_responder_threshold_is_half_the_baseline_by_default() -> None:
    # Cohen 2010's >= 50 % relief: baseline 8 -> 4; at 30 % relief -> 5.6.
    assert responder_threshold_nrs(8) == 4.0
    assert responder_threshold_nrs(8, 30) == pytest.approx(5.6)
