"""Without pyamg the solver falls back to Jacobi-preconditioned CG, says so, and agrees."""

from __future__ import annotations

import numpy as np
import pytest

import rhizo.physics.three_d.amg as amg
from rhizo.physics.electrode import SphereElectrode
from rhizo.physics.three_d.fv3d import Geometry3D
from rhizo.physics.three_d.geometry3d import CannulaPose
from rhizo.physics.three_d.grid3d import CartesianGrid, graded_faces
from rhizo.physics.three_d.potential3d import PotentialSolver3D


def _resistance() -> float:
    faces = graded_faces(
        low_m=-8e-3, high_m=8e-3, fine_low_m=-1.6e-3, fine_high_m=1.6e-3, cell_m=0.4e-3, growth=1.2
    )
    grid = CartesianGrid(faces, faces, faces)
    pose = CannulaPose(SphereElectrode(sphere_radius_mm=1.0), tip_m=(0, 0, 1e-3))
    return (
        PotentialSolver3D(Geometry3D.build(grid, pose))
        .solve(np.full(grid.shape, 0.5))
        .resistance_ohm
    )


def test_jacobi_fallback_warns_and_gives_the_same_resistance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_amg = _resistance()
    monkeypatch.setattr(amg, "HAVE_PYAMG", False)
    with pytest.warns(RuntimeWarning, match="pyamg is not installed: .*Jacobi-preconditioned CG"):
        without = _resistance()
    # Both solve the same system to a relative residual of 1e-10.
    assert without == pytest.approx(with_amg, rel=1e-7)
