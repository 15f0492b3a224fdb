"""Tip depth: the cannula stops on bone or on the nerve (hand-computed cases, and a
brute-force second implementation of "metal and nerve never overlap")."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from rhizo.physics import GAUGE_OUTER_DIAMETER_MM
from rhizo.planning import CannulaPlacement, Nerve, PlacementError, get_joint, sample_poses
from rhizo.planning.placement import planned_pose

TIP_MM = 10.0
R18 = GAUGE_OUTER_DIAMETER_MM[18] / 2  # 0.635 mm
NERVE_RADIUS = 0.5  # mm


def straight_nerve(diameter_mm: float = 1.0, groove_depth_mm: float = 0.0) -> Nerve:
    return Nerve(
        name="test nerve",
        landmark="-",
        diameter_mm=diameter_mm,
        diameter_range_mm=(diameter_mm, diameter_mm),
        lateral_sd_mm=0.0,
        course_angle_sd_deg=0.0,
        length_mm=30.0,
        groove_depth_mm=groove_depth_mm,
    )


def _end_mm(placement: CannulaPlacement, nerve: Nerve, radius_mm: float = R18) -> np.ndarray:
    pose = planned_pose(placement, nerve, tip_length_mm=TIP_MM, cannula_radius_mm=radius_mm)
    return np.asarray(pose.tips[0, 0] * 1e3)


def test_perpendicular_tip_at_1_mm_rides_on_the_nerve() -> None:
    # 18 G straight down, axis 1 mm from the nerve's axis: the rounded end (centre
    # r_c above the metal's end) meets the nerve when its centre is r_c + a = 1.135 mm
    # from the nerve's axis: centre height sqrt(1.2882 - 1) = 0.5369 mm, metal end
    # 0.5369 - 0.635 = -0.0981 mm -- above the bone (-0.5 mm), so the nerve stops it.
    end = _end_mm(CannulaPlacement(angle_deg=90, offset_mm=1.0), straight_nerve())
    expected = math.sqrt((R18 + NERVE_RADIUS) ** 2 - 1.0**2) - R18
    assert expected == pytest.approx(-0.0981, abs=1e-4)
    assert end[2] == pytest.approx(expected, abs=1e-6)  # a nerve point lies at x = 0
    assert end[1] == pytest.approx(1.0)


def test_perpendicular_tip_beside_the_nerve_lands_on_the_bone() -> None:
    # At 2 mm the metal (reach 1.135 mm) clears the nerve: the end stops on the bone
    # plane, z = -a = -0.5 mm; the nerve's axis is then 0.5 mm PROXIMAL to the end.
    end = _end_mm(CannulaPlacement(angle_deg=90, offset_mm=2.0), straight_nerve())
    assert end[2] == pytest.approx(-NERVE_RADIUS, abs=1e-9)


def test_perpendicular_tip_over_the_nerve_stops_on_its_top() -> None:
    # Axis over the nerve's axis: the end touches the nerve's top, z = +a = 0.5 mm.
    end = _end_mm(CannulaPlacement(angle_deg=90, offset_mm=0.0), straight_nerve())
    assert end[2] == pytest.approx(NERVE_RADIUS, abs=1e-6)


def test_parallel_cannula_lies_on_the_bone_or_on_the_nerve() -> None:
    # Parallel at 2 mm: the shaft lies on the bone, axis at -a + r_c = 0.135 mm.
    far = _end_mm(CannulaPlacement(angle_deg=0, offset_mm=2.0), straight_nerve())
    assert far[2] == pytest.approx(-NERVE_RADIUS + R18, abs=1e-9)
    # Parallel at 1 mm: axes 1.135 mm apart in the y-z plane: z = sqrt(1.135^2 - 1) = 0.537.
    near = _end_mm(CannulaPlacement(angle_deg=0, offset_mm=1.0), straight_nerve())
    assert near[2] == pytest.approx(math.sqrt((R18 + NERVE_RADIUS) ** 2 - 1.0), abs=1e-6)


def test_a_nerve_in_a_groove_lies_level_with_a_tip_on_the_bone() -> None:
    # Bone rises 0.75 mm above the floor of a 1.5 mm nerve (the L5 dorsal ramus's
    # assumed groove): bone plane z = -0.75 + 0.75 = 0; a perpendicular tip 2 mm
    # away (reach 0.635 + 0.75 = 1.385 mm) lands on it level with the nerve's axis.
    nerve = straight_nerve(diameter_mm=1.5, groove_depth_mm=0.75)
    end = _end_mm(CannulaPlacement(angle_deg=90, offset_mm=2.0), nerve)
    assert end[2] == pytest.approx(0.0, abs=1e-9)
    assert get_joint("L5-S1").nerves[1].groove_depth_mm == 0.75


def test_planned_depth_is_kept_when_asked() -> None:
    placement = CannulaPlacement(angle_deg=90, offset_mm=1.0, height_mm=0.3, tip_stop="planned")
    assert _end_mm(placement, straight_nerve())[2] == pytest.approx(0.3)


def _segment_distance_mm(points: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Brute force: distance from each point (m, 3) to the segment, over 801 samples of it."""
    s = np.linspace(0.0, 1.0, 801)[:, None]
    samples = start + s * (end - start)
    return np.min(np.linalg.norm(points[:, None, :] - samples[None, :, :], axis=2), axis=1)


@pytest.mark.parametrize("angle_deg", [0.0, 30.0, 60.0, 90.0])
def test_metal_never_overlaps_nerve_or_bone_and_touches_one(angle_deg: float) -> None:
    nerve = dataclasses.replace(get_joint("L4-L5").nerves[0], length_mm=24.0)
    poses = sample_poses(
        CannulaPlacement(angle_deg=angle_deg, offset_mm=1.0),
        nerve,
        tip_length_mm=TIP_MM,
        errors=PlacementError(),
        samples=30,
        rng=np.random.default_rng(7),
        cannula_radius_mm=R18,
    )
    # The anatomy's inverse motion moves the cannula, so the nerve is the nominal arc.
    centre = nerve.centreline_m(0.05) * 1e3
    touched_bone = touched_nerve = 0
    for i in range(poses.count):
        end = poses.tips[0, i] * 1e3
        u = poses.directions[i]
        near, far = end - R18 * u, end - TIP_MM * u
        a = poses.nerve_radius_m[i] * 1e3
        gap = np.min(_segment_distance_mm(centre, far, near)) - (R18 + a)
        lowest = min(near[2], far[2]) - R18
        # Never inside the nerve: contact uses points 0.25 mm apart, so up to
        # 0.25^2 / (8 x 1.0) = 0.008 mm between them.
        assert gap >= -1e-2, (i, gap)
        assert lowest >= -a - 1e-9, (i, lowest)  # never inside the bone
        touched_nerve += bool(gap < 1e-2)
        touched_bone += bool(abs(lowest + a) < 1e-9)
        assert gap < 1e-2 or abs(lowest + a) < 1e-9, i  # rests on one of them
    assert touched_nerve > 0
    assert touched_bone > 0
