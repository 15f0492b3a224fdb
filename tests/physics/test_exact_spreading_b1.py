"""B1: spreading resistance of a sphere in an infinite medium.

A sphere of radius r0 at potential V0 in an unbounded medium of conductivity sigma:
V(r) = V0 r0 / r, so the resistance to infinity is exactly R = 1 / (4 pi sigma r0)
(Jackson, Classical Electrodynamics; physics note B1). The far boundary uses the
point-source Robin condition, so the grid's truncation must not show.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from rhizo.physics.electrode import SphereElectrode
from rhizo.physics.fv import CannulaGeometry, assemble, electric_conductances
from rhizo.physics.grid import AxisymmetricGrid, GridSettings


def sphere_resistance_ohm(cell_mm: float, far_mm: float, sigma: float = 0.446) -> float:
    sphere = SphereElectrode(sphere_radius_mm=1.0)
    settings = GridSettings(radial_cell_mm=cell_mm, axial_cell_mm=cell_mm, far_boundary_mm=far_mm)
    grid = AxisymmetricGrid.for_cannula(
        metal_radius_m=sphere.radius_m, tip_length_m=sphere.tip_length_m, settings=settings
    )
    geometry = CannulaGeometry.build(grid, sphere)
    far, electrode = electric_conductances(geometry, np.full(grid.shape, sigma))
    index = np.flatnonzero(geometry.tissue.ravel())
    matrix = assemble(far, electrode).tocsr()[index][:, index].tocsc()
    potential = spla.spsolve(matrix, electrode.ravel()[index])
    current_per_volt = float(np.sum(electrode.ravel()[index] * (1.0 - potential)))
    return 1.0 / current_per_volt


def test_sphere_resistance_matches_b1_within_one_percent_at_default_cells() -> None:
    sigma = 0.446
    exact = 1.0 / (4 * np.pi * sigma * 1e-3)  # 178.4 ohm
    computed = sphere_resistance_ohm(GridSettings().radial_cell_mm, 40.0, sigma)
    assert computed == pytest.approx(exact, rel=0.01)


def test_sphere_resistance_converges_and_ignores_the_far_boundary() -> None:
    exact = 1.0 / (4 * np.pi * 0.446 * 1e-3)
    coarse = abs(sphere_resistance_ohm(0.2, 40.0) - exact)
    fine = abs(sphere_resistance_ohm(0.1, 40.0) - exact)
    assert fine < coarse / 2  # at least first order, observed ~3.3x
    near = sphere_resistance_ohm(0.2, 15.0)
    distant = sphere_resistance_ohm(0.2, 80.0)
    assert near == pytest.approx(distant, rel=1e-3)
