"""One straight cannula without bone: the 3D engine against the axisymmetric engine.

18 G / 10 mm / 80 C / 90 s (15 s ramp) in ex-vivo chicken breast, the 2D engine at
its default grid (width 6.996 mm, length 13.851 mm). The 3D grid here is the CI
one: 0.5 mm cells within 4 mm of the metal, growing by 1.2 to a 30 mm cube (62,475
cells). Measured on it: width 7.117 mm (+1.72 %), length 13.881 mm (+0.22 %); the
fine comparison (0.25 mm) is benchmarks/lesion3d.py's (docs/engine3d.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.engine import simulate
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannula


@pytest.fixture(scope="module")
def runs() -> tuple[object, object]:
    protocol = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    pose = CannulaPose(protocol.electrode)
    grid = grid_around_cannula(
        pose, cell_m=0.5e-3, fine_margin_m=4e-3, half_width_m=15e-3, growth=1.2
    )
    return simulate(protocol), simulate3d(protocol, Scene.build(grid, pose, protocol.tissue))


def test_width_and_length_match_the_axisymmetric_engine(runs: tuple) -> None:  # type: ignore[type-arg]
    two_d, three_d = runs
    assert three_d.lesion.width_mm == pytest.approx(two_d.lesion.width_mm, rel=0.025)
    assert three_d.lesion.length_mm == pytest.approx(two_d.lesion.length_mm, rel=0.01)
    # Symmetric about the axis: the two perpendicular widths agree.
    assert three_d.lesion.width_u_mm == pytest.approx(three_d.lesion.width_v_mm, rel=1e-6)


def test_generator_holds_the_set_point_like_the_axisymmetric_engine(runs: tuple) -> None:  # type: ignore[type-arg]
    two_d, three_d = runs
    tip = three_d.traces["tip_temperature_c"]
    assert tip[-1] == pytest.approx(80.0, abs=1e-6)
    assert np.max(tip) <= 80.0 + 1e-6
    # Power at the end: 6.906 W (3D) vs 6.846 W (2D), +0.9 %.
    assert three_d.traces["power_w"][-1] == pytest.approx(two_d.traces.power_w[-1], rel=0.03)
