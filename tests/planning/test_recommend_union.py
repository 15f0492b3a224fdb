"""Union volume of lesions against exact solids (sphere lens, Steinmetz bicylinder)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.planning.lesions import LesionProfile
from rhizo.planning.union import (
    PlacedLesion,
    lens_area_m2,
    lesion_volume_mm3,
    monte_carlo_union_mm3,
    union_volume_mm3,
)

R_MM = 2.0
SPHERE = LesionProfile.ellipsoid(radius_mm=R_MM, half_length_mm=R_MM, tip_length_mm=0.0)
SPHERE_MM3 = 4.0 / 3.0 * math.pi * R_MM**3


def _sphere_at(x_mm: float, y_mm: float = 0.0) -> PlacedLesion:
    return PlacedLesion(SPHERE, (x_mm * 1e-3, y_mm * 1e-3, 0.0), (1.0, 0.0, 0.0))


def _lens_mm3(d_mm: float) -> float:
    """Intersection of two spheres of radius R at distance d: pi (4R + d)(2R - d)^2 / 12."""
    if d_mm >= 2 * R_MM:
        return 0.0
    return math.pi * (4 * R_MM + d_mm) * (2 * R_MM - d_mm) ** 2 / 12.0


def test_one_lesion_volume_is_its_solid_of_revolution() -> None:
    assert lesion_volume_mm3(SPHERE) == pytest.approx(SPHERE_MM3, rel=1e-5)
    cylinder = LesionProfile.cylinder(radius_mm=1.5, tip_length_mm=10.0)
    assert lesion_volume_mm3(cylinder) == pytest.approx(math.pi * 1.5**2 * 10.0, rel=1e-6)


def test_two_coincident_lesions_are_one() -> None:
    union = union_volume_mm3([_sphere_at(0.0), _sphere_at(0.0)])
    assert union.method == "exact-parallel"
    assert union.volume_mm3 == pytest.approx(SPHERE_MM3, rel=1e-5)


def test_two_disjoint_lesions_are_the_sum() -> None:
    union = union_volume_mm3([_sphere_at(0.0), _sphere_at(0.0, 5.0)])
    assert union.volume_mm3 == pytest.approx(2 * SPHERE_MM3, rel=1e-5)


@pytest.mark.parametrize("d_mm", [0.5, 1.0, 2.0, 3.0, 3.9])
@pytest.mark.parametrize("direction", ["across", "along", "oblique"])
def test_two_spheres_follow_the_lens_formula(d_mm: float, direction: str) -> None:
    shift = {"across": (0.0, d_mm), "along": (d_mm, 0.0), "oblique": (0.6 * d_mm, 0.8 * d_mm)}
    x, y = shift[direction]
    exact = 2 * SPHERE_MM3 - _lens_mm3(d_mm)
    union = union_volume_mm3([_sphere_at(0.0), _sphere_at(x, y)])
    assert union.volume_mm3 == pytest.approx(exact, rel=1e-4)


def test_monte_carlo_union_agrees_with_the_lens_formula() -> None:
    d_mm = 1.5
    exact = 2 * SPHERE_MM3 - _lens_mm3(d_mm)
    union = monte_carlo_union_mm3([_sphere_at(0.0), _sphere_at(0.0, d_mm)], seed=3)
    assert union.method == "monte-carlo"
    assert abs(union.volume_mm3 - exact) < 4 * union.standard_error_mm3
    assert union.standard_error_mm3 < 0.01 * exact


def test_crossed_cylinders_follow_the_steinmetz_solid() -> None:
    """Two perpendicular cylinders of radius r cross in 16 r^3 / 3 (Steinmetz bicylinder)."""
    r_mm, length_mm = 1.0, 12.0
    rod = LesionProfile.cylinder(radius_mm=r_mm, tip_length_mm=length_mm)
    half = length_mm / 2 * 1e-3
    first = PlacedLesion(rod, (half, 0.0, 0.0), (1.0, 0.0, 0.0))
    second = PlacedLesion(rod, (0.0, half, 0.0), (0.0, 1.0, 0.0))
    exact = 2 * math.pi * r_mm**2 * length_mm - 16 * r_mm**3 / 3
    union = union_volume_mm3([first, second], samples=400_000, seed=1)
    assert union.method == "monte-carlo"
    assert abs(union.volume_mm3 - exact) < 4 * union.standard_error_mm3


def test_lens_area_limits() -> None:
    r = np.array([1.0, 1.0, 2.0, 0.0])
    other = np.array([1.0, 1.0, 0.5, 1.0])
    area = lens_area_m2(r, other, 0.0)
    assert area == pytest.approx([math.pi, math.pi, math.pi * 0.25, 0.0])
    assert lens_area_m2(np.array([1.0]), np.array([1.0]), 2.5)[0] == 0.0
    # equal circles at distance r: 2 r^2 acos(1/2) - (r^2/2) sqrt(3)
    half = lens_area_m2(np.array([1.0]), np.array([1.0]), 1.0)[0]
    assert half == pytest.approx(2 * math.acos(0.5) - math.sqrt(3) / 2)


def test_no_lesion_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        union_volume_mm3([])
