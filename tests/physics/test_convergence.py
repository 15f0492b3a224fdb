"""Grid and time-step convergence of the lesion width (issue 2: under 2 % on refinement)."""

from __future__ import annotations

import pytest

from rhizo.physics import GridSettings, LesionProtocol, simulate


@pytest.mark.parametrize(("gauge", "tip_length_mm"), [(18, 10.0), (22, 5.0)])
def test_refining_the_grid_changes_width_by_under_two_percent(
    gauge: int, tip_length_mm: float
) -> None:
    default = simulate(LesionProtocol(gauge=gauge, tip_length_mm=tip_length_mm))
    refined = simulate(
        LesionProtocol(gauge=gauge, tip_length_mm=tip_length_mm, grid=GridSettings().refined(2.0))
    )
    for boundary in ("arrhenius", "isotherm_50c"):
        coarse = default.boundaries[boundary]
        fine = refined.boundaries[boundary]
        assert coarse.width_mm == pytest.approx(fine.width_mm, rel=0.02)
        assert coarse.length_mm == pytest.approx(fine.length_mm, rel=0.02)
        assert coarse.volume_mm3 == pytest.approx(fine.volume_mm3, rel=0.04)
