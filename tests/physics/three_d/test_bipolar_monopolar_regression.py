"""Monopolar regression: one active cannula through the several-cannulae path is the
single-cannula engine: the same metal, faces and electric coefficients to the last
bit, and the same run to the run-to-run reproducibility of the solvers (two runs of
the single-cannula path itself differ in the 13th digit: CG/AMG summation order), so
the comparison of the runs is at 1e-9.

The existing monopolar tests (test_engine_vs_axisymmetric, test_potential_exact,
test_pose) run unchanged on the single-cannula path.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.cannulae3d import Cannula3D
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.fv3d import ElectricCoefficients3D, Geometry3D
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannula

PROTOCOL = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=10, ramp_s=5)
POSE = CannulaPose(PROTOCOL.electrode)
GRID = grid_around_cannula(POSE, cell_m=0.8e-3, fine_margin_m=3e-3, half_width_m=10e-3)


def test_geometry_and_coefficients_are_bit_identical() -> None:
    single = Geometry3D.build(GRID, POSE)
    multi = Geometry3D.build(GRID, POSE, (Cannula3D(POSE),))
    assert np.array_equal(single.metal, multi.metal)
    assert np.array_equal(single.active, multi.active)
    for a, b in zip(single.faces, multi.faces, strict=True):
        for name in a.__dataclass_fields__:
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for far in ("infinite", "grounded"):
        ca = ElectricCoefficients3D.build(single, far)  # type: ignore[arg-type]
        cb = ElectricCoefficients3D.build(multi, far)  # type: ignore[arg-type]
        assert np.array_equal(ca.electrode_m, cb.electrode_m)
        assert np.array_equal(ca.far_m, cb.far_m)
        assert cb.return_m is not None
        assert not cb.return_m.any()


def test_one_active_cannula_in_the_multi_path_gives_the_same_lesion() -> None:
    single = simulate3d(PROTOCOL, Scene.build(GRID, POSE, PROTOCOL.tissue))
    multi = simulate3d(PROTOCOL, Scene.build_multi(GRID, (Cannula3D(POSE),), PROTOCOL.tissue))
    assert np.allclose(single.temperature_c, multi.temperature_c, rtol=1e-9, atol=0)
    for name, values in single.traces.items():
        assert np.allclose(values, multi.traces[name], rtol=1e-9, atol=1e-12), name
    assert multi.lesion.width_mm == pytest.approx(single.lesion.width_mm, rel=1e-9)
    assert multi.lesion.length_mm == pytest.approx(single.lesion.length_mm, rel=1e-9)
    assert set(multi.traces) == set(single.traces)  # no per-tip traces for one cannula
