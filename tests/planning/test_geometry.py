"""Captured length against hand-computed cases on synthetic lesions (exact answers known).

These cases fix the cannula's depth by hand (``tip_stop="planned"``): they check the
capture geometry alone. The tip-depth contact model has its own hand cases
(tests/planning/test_tipdepth.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.planning import CannulaPlacement as _Placement
from rhizo.planning import LesionProfile, Nerve, planned_captured_length_mm
from rhizo.planning.capture import longest_inside_run_m

TIP_MM = 10.0
SPACING_MM = 0.1  # centreline spacing: steps in R(z) resolve to within it


def straight_nerve(diameter_mm: float = 1.0, length_mm: float = 30.0) -> Nerve:
    return Nerve(
        name="test nerve",
        landmark="-",
        diameter_mm=diameter_mm,
        diameter_range_mm=(diameter_mm, diameter_mm),
        lateral_sd_mm=0.0,
        course_angle_sd_deg=0.0,
        length_mm=length_mm,
    )


def CannulaPlacement(**fields: float) -> _Placement:
    """A placement at the depth given (no contact: geometry only)."""
    return _Placement(tip_stop="planned", **fields)


CYLINDER = LesionProfile.cylinder(radius_mm=3.0, tip_length_mm=TIP_MM)


def test_nerve_on_the_axis_is_captured_along_the_whole_cylinder() -> None:
    length = planned_captured_length_mm(CYLINDER, straight_nerve(), CannulaPlacement(offset_mm=0.0))
    assert length == pytest.approx(TIP_MM, abs=2 * SPACING_MM)


@pytest.mark.parametrize(
    ("offset_mm", "expected_mm"),
    [(1.0, TIP_MM), (2.49, TIP_MM), (2.51, 0.0), (4.0, 0.0)],
)
def test_parallel_nerve_at_a_known_offset(offset_mm: float, expected_mm: float) -> None:
    # Whole section inside iff offset + nerve radius (0.5) <= 3.0.
    length = planned_captured_length_mm(
        CYLINDER, straight_nerve(), CannulaPlacement(offset_mm=offset_mm)
    )
    assert length == pytest.approx(expected_mm, abs=2 * SPACING_MM)


@pytest.mark.parametrize("offset_mm", [0.0, 1.0, 2.0, 2.4])
def test_crossing_nerve_through_the_tip_midpoint(offset_mm: float) -> None:
    # Perpendicular cannula whose axis passes the nerve at the active tip's midpoint
    # (height -L/2): the nerve is a chord of the circle r + a <= R.
    placement = CannulaPlacement(angle_deg=90.0, offset_mm=offset_mm, height_mm=-TIP_MM / 2)
    expected = 2 * math.sqrt(max((3.0 - 0.5) ** 2 - offset_mm**2, 0.0))
    length = planned_captured_length_mm(CYLINDER, straight_nerve(), placement)
    assert length == pytest.approx(expected, abs=1e-3)


def test_crossing_an_ellipsoid_at_an_angle() -> None:
    # Ellipsoid R(z) = b sqrt(1 - (z - c)^2 / h^2); a nerve through the centre at angle
    # theta sees r = s sin(theta), z - c = s cos(theta), so the whole-section condition
    # s sin + a <= b sqrt(1 - s^2 cos^2 / h^2) is solved numerically on s >= 0.
    b, h, a, theta = 3.0, 7.0, 0.5, math.radians(40.0)
    profile = LesionProfile.ellipsoid(radius_mm=b, half_length_mm=h, tip_length_mm=TIP_MM)
    s = np.linspace(0, 10, 2_000_001)
    inside = s * math.sin(theta) + a <= b * np.sqrt(
        np.clip(1 - (s * math.cos(theta) / h) ** 2, 0, None)
    )
    expected = 2 * s[inside].max()
    # Distal end at (x_tip, 0, height): put the tip midpoint on the nerve axis.
    placement = CannulaPlacement(
        angle_deg=40.0, offset_mm=0.0, height_mm=-TIP_MM / 2 * math.sin(theta)
    )
    length = planned_captured_length_mm(profile, straight_nerve(), placement)
    assert length == pytest.approx(expected, abs=0.02)


def test_perpendicular_onto_the_nerve_captures_little_of_a_tip_hugging_lesion() -> None:
    # Bogduk 1987: a lesion that does not extend distal to the tip misses a nerve the
    # electrode points at. Cylinder ends at z = 0; nerve passes 0.6 mm beyond the tip.
    placement = CannulaPlacement(angle_deg=90.0, offset_mm=0.0, height_mm=0.6)
    assert planned_captured_length_mm(CYLINDER, straight_nerve(), placement) == 0.0
    parallel = planned_captured_length_mm(
        CYLINDER, straight_nerve(), CannulaPlacement(offset_mm=0.6)
    )
    assert parallel == pytest.approx(TIP_MM, abs=2 * SPACING_MM)


def test_two_lesions_straddling_a_nerve_capture_what_one_misses() -> None:
    nerve = straight_nerve()
    one = CannulaPlacement(offset_mm=2.8)
    two = CannulaPlacement(offset_mm=2.8, lesion_count=2, lesion_spacing_mm=2.0)
    assert planned_captured_length_mm(CYLINDER, nerve, one) == 0.0
    assert planned_captured_length_mm(CYLINDER, nerve, two) == pytest.approx(TIP_MM, abs=0.2)


def test_longest_run_integrates_partial_segments_and_keeps_the_longest() -> None:
    # Margins at points 1 mm apart: inside runs [0.5 .. 2] (1.5 mm) and [3.5 .. 4.5] (1 mm).
    margin = np.array([[-1.0, 1.0, 1.0, -1.0, 1.0, -1.0]])
    assert longest_inside_run_m(margin, 1.0)[0] == pytest.approx(2.0)
    margin = np.array([[-1.0, 1.0, -1.0, -1.0, 1.0, 1.0, 1.0]])
    assert longest_inside_run_m(margin, 1.0)[0] == pytest.approx(2.5)
    assert longest_inside_run_m(np.full((1, 5), -1.0), 1.0)[0] == 0.0
    assert longest_inside_run_m(np.full((1, 5), 1.0), 0.5)[0] == pytest.approx(2.0)
