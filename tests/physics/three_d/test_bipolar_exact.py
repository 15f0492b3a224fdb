"""Bipolar potential in 3D against the exact two-sphere resistance, energy, symmetry.

Two equal spheres of radius a, centres d apart, in an infinite medium of conductivity
sigma, at +V/2 and -V/2 (equivalently 1 V and 0 V with the medium at 1/2 far away).
Kelvin's image series is exact (Smythe, Static and Dynamic Electricity, two-sphere
capacitance by successive images; the conduction analogue C/eps = 1/(sigma R)): a
charge q_0 = a/2 (in units of 4 pi eps) at sphere 1's centre, and each image of sphere
2's mirror charge in sphere 1,

    q_{n+1} = q_n a / (d - x_n),    x_{n+1} = a^2 / (d - x_n),

(x measured from sphere 1's centre towards sphere 2) keeps sphere 1 at +1/2 and sphere
2 at -1/2; the current is I = 4 pi sigma sum q_n per volt, R = 1 / I. Expanding,
sum q = (a/2)(1 + a/d + a^2/d^2 + ...), so to leading order

    R = (2 / (4 pi sigma)) (1/a - 1/d) + O(a^2/d^3),

which at d = 6 a is 265.258 ohm against the series' 265.003 ohm (+0.096 %): the test
uses the series. a = 1 mm, sigma = 0.5 S/m, d = 6 mm. Measured on 0.2 mm cells with
"infinite" (dipole Robin, floating V_inf) far faces: 266.600 ohm, +0.60 % (one sphere
alone on the same cells: +0.56 %); the floating far potential came out 0.5000000000;
with insulating far faces on the same 30 mm box R is 268.61 ohm (+1.36 %, the box
confines the current). Energy: sum of Joule heat + far loss = V I to 4e-11.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.physics.electrode import SphereElectrode
from rhizo.physics.three_d.cannulae3d import Cannula3D
from rhizo.physics.three_d.fv3d import Geometry3D
from rhizo.physics.three_d.geometry3d import CannulaPose
from rhizo.physics.three_d.grid3d import CartesianGrid, graded_faces
from rhizo.physics.three_d.potential3d import Potential3D, PotentialSolver3D

RADIUS_M = 1.0e-3
SIGMA = 0.5
SPACING_M = 6.0e-3
HALF_WIDTH_M = 15e-3


def two_sphere_resistance_ohm(radius_m: float, spacing_m: float, sigma: float) -> float:
    """Kelvin's image series for two equal spheres at +-1/2 V (the module docstring)."""
    charge, position, total = radius_m / 2, 0.0, 0.0
    for _ in range(200):
        total += charge
        charge, position = (
            charge * radius_m / (spacing_m - position),
            radius_m**2 / (spacing_m - position),
        )
    return 1.0 / (4 * math.pi * sigma * total)


EXACT_OHM = two_sphere_resistance_ohm(RADIUS_M, SPACING_M, SIGMA)  # 265.003 ohm


def _pair(cell_m: float) -> Geometry3D:
    fine = 1.6e-3
    x = graded_faces(
        low_m=SPACING_M / 2 - HALF_WIDTH_M,
        high_m=SPACING_M / 2 + HALF_WIDTH_M,
        fine_low_m=-fine,
        fine_high_m=SPACING_M + fine,
        cell_m=cell_m,
        growth=1.15,
    )
    yz = graded_faces(
        low_m=-HALF_WIDTH_M,
        high_m=HALF_WIDTH_M,
        fine_low_m=-fine,
        fine_high_m=fine,
        cell_m=cell_m,
        growth=1.15,
    )
    grid = CartesianGrid(x, yz, yz)
    sphere = SphereElectrode(sphere_radius_mm=RADIUS_M * 1e3)
    # The sphere electrode's apex is at local z = 0 and its centre at z = -a.
    active = Cannula3D(CannulaPose(sphere, tip_m=(0.0, 0.0, RADIUS_M)), "active")
    back = Cannula3D(CannulaPose(sphere, tip_m=(SPACING_M, 0.0, RADIUS_M)), "return")
    return Geometry3D.build(grid, active.pose, (active, back))


@pytest.fixture(scope="module")
def solved() -> tuple[Geometry3D, Potential3D]:
    geometry = _pair(0.2e-3)
    return geometry, PotentialSolver3D(geometry).solve(np.full(geometry.grid.shape, SIGMA))


def test_image_series_agrees_with_its_leading_order() -> None:
    leading = 2 / (4 * math.pi * SIGMA) * (1 / RADIUS_M - 1 / SPACING_M)
    exact = EXACT_OHM
    assert exact == pytest.approx(265.003, abs=1e-3)
    assert leading / EXACT_OHM - 1 == pytest.approx(9.63e-4, rel=0.01)
    # Far apart the pair is two spreading resistances in series.
    assert two_sphere_resistance_ohm(RADIUS_M, 1.0, SIGMA) == pytest.approx(
        2 / (4 * math.pi * SIGMA * RADIUS_M), rel=2e-3
    )


def test_two_sphere_resistance_matches_the_image_series(
    solved: tuple[Geometry3D, Potential3D],
) -> None:
    _, solution = solved
    assert solution.resistance_ohm == pytest.approx(EXACT_OHM, rel=0.01)
    # The floating far potential of a symmetric pair is exactly half way.
    assert solution.far_potential_per_v == pytest.approx(0.5, abs=1e-8)
    # What leaves the active sphere enters the return sphere.
    into_active, into_return = solution.cannula_current_per_v
    assert into_active == pytest.approx(-into_return, rel=1e-8)
    assert into_active == pytest.approx(solution.conductance_s, rel=1e-12)


def test_energy_balance_joule_heat_plus_far_loss_equals_v_times_i(
    solved: tuple[Geometry3D, Potential3D],
) -> None:
    _, solution = solved
    total = float(solution.heat_per_v2.sum()) + solution.far_loss_per_v2
    assert total == pytest.approx(solution.conductance_s, rel=1e-8)
    # Between the tips, not to infinity: the far faces take a sliver of the power.
    assert solution.far_loss_per_v2 < 0.01 * solution.conductance_s


def test_potential_is_antisymmetric_about_the_mid_plane(
    solved: tuple[Geometry3D, Potential3D],
) -> None:
    geometry, solution = solved
    x_faces = geometry.grid.x_faces_m
    # The grid is mirror-symmetric about x = d/2, so cell i mirrors cell n - 1 - i.
    assert np.allclose(x_faces + x_faces[::-1], SPACING_M, atol=1e-12)
    potential = solution.potential
    mirrored = potential[::-1, :, :]
    assert np.max(np.abs(potential + mirrored - 1.0)) < 1e-6
    centre = potential.shape[0] // 2
    assert np.max(np.abs(potential[centre - 1 : centre + 1] - 0.5)) < 0.05


def test_insulating_far_faces_confine_the_current() -> None:
    geometry = _pair(0.4e-3)
    sigma = np.full(geometry.grid.shape, SIGMA)
    insulated = PotentialSolver3D(geometry, "insulating").solve(sigma)
    infinite = PotentialSolver3D(geometry, "infinite").solve(sigma)
    # No current leaves through insulating faces: Joule heat alone is V I.
    assert insulated.far_loss_per_v2 == 0.0
    assert float(insulated.heat_per_v2.sum()) == pytest.approx(insulated.conductance_s, rel=1e-8)
    assert insulated.resistance_ohm > infinite.resistance_ohm
    assert insulated.resistance_ohm == pytest.approx(infinite.resistance_ohm, rel=0.02)
