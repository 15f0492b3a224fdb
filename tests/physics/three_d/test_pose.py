"""A cannula at any pose: its resistance against the axisymmetric engine's.

The same 18 G / 10 mm cannula in chicken breast at 21 C, along +z, along -x, and
obliquely (x-z diagonal, space diagonal), on 0.35 mm cells within 3 mm of the metal
(30 mm cube, Robin far faces). The second implementation is the axisymmetric
engine's initial potential: R = 117.105 ohm. Measured: +0.56 % along the axes (the
two equal to 1e-12: the grid is the same up to a permutation of axes), +0.11 %
on the x-z diagonal, +0.88 % on the space diagonal (the staircase of the voxels
cut by an oblique cylinder; +1.8 % and +3.0 % at 0.5 mm).
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.backend import get_backend
from rhizo.physics.model import lesion_model
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.fv3d import Geometry3D
from rhizo.physics.three_d.geometry3d import CannulaPose, grid_around_cannula
from rhizo.physics.three_d.potential3d import PotentialSolver3D

PROTOCOL = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)


def _resistance(direction: tuple[float, float, float]) -> float:
    pose = CannulaPose(PROTOCOL.electrode, direction=direction)
    grid = grid_around_cannula(pose, cell_m=0.35e-3, fine_margin_m=3e-3, half_width_m=15e-3)
    tissue = PROTOCOL.tissue
    sigma = tissue.electrical_conductivity(np.full(grid.shape, tissue.initial_temperature_c))
    return PotentialSolver3D(Geometry3D.build(grid, pose)).solve(sigma).resistance_ohm


def test_resistance_at_any_pose_equals_the_axisymmetric_engine() -> None:
    initial = lesion_model(PROTOCOL).initial_potential(get_backend("numpy"))
    reference = 1.0 / float(initial.conductance_s[0])
    assert reference == pytest.approx(117.105, abs=0.01)
    along_z, along_minus_x = _resistance((0, 0, 1)), _resistance((-1, 0, 0))
    assert along_minus_x == pytest.approx(along_z, rel=1e-9)
    assert along_z == pytest.approx(reference, rel=0.01)
    assert _resistance((1, 0, 1)) == pytest.approx(reference, rel=0.01)
    assert _resistance((1, 1, 1)) == pytest.approx(reference, rel=0.015)
