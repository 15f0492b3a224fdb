"""Shared cannula-frame geometry gives the very numbers computed per lesion (issue 17).

Candidates that differ only in temperature and time meet the same poses
(:mod:`rhizo.planning.pose_set`), so each point's z and r relative to the
cannula are computed once per pose set (:func:`rhizo.planning.capture.pose_geometry`)
and looked up for each lesion. The reference is the per-lesion computation
(:func:`rhizo.planning.capture.row_margins_m` on each pose's window): the
lengths must be bit-identical (not merely close), because the recommendation's
JSON must not change. A second, independent reference recomputes z and r by
hand from ``d = P - T`` for one pose.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from rhizo.planning import CannulaPlacement, LesionProfile, PlacementError, get_joint
from rhizo.planning.capture import captured_length_m, pose_geometry
from rhizo.planning.montecarlo import estimate_capture
from rhizo.planning.pose_set import draw_pose_set

NERVE = get_joint("L4-L5").nerves[0]
STRAIGHT = dataclasses.replace(NERVE, curvature_per_mm=0.0)
#: A small lesion (windows narrower than the nerve) and a large one (whole nerve).
SMALL = LesionProfile.ellipsoid(
    radius_mm=1.5, half_length_mm=3.0, tip_length_mm=5.0, cannula_radius_mm=0.635
)
LARGE = LesionProfile.ellipsoid(
    radius_mm=3.0, half_length_mm=9.0, tip_length_mm=5.0, cannula_radius_mm=0.635
)


@pytest.mark.parametrize("nerve", [NERVE, STRAIGHT], ids=["curved", "straight"])
@pytest.mark.parametrize("lesions", [1, 2])
@pytest.mark.parametrize("spacing_mm", [0.1, 0.2])
def test_geometry_lengths_bit_identical(nerve, lesions, spacing_mm):  # type: ignore[no-untyped-def]
    placement = CannulaPlacement(angle_deg=30.0, offset_mm=1.0, lesion_count=lesions)
    poses = draw_pose_set(
        placement, nerve, tip_length_mm=5.0, cannula_radius_mm=0.635,
        errors=PlacementError(), samples=600, seed=3, radius_cv=0.1,
    )  # fmt: skip
    centreline = nerve.centreline_m(spacing_mm)
    for profile in (SMALL, LARGE):
        for (batch, scale), geometry in zip(
            poses.batches, poses.geometry(centreline, spacing_mm), strict=True
        ):
            args = (profile, centreline, batch.tips, batch.directions, batch.nerve_radius_m, scale)
            plain = captured_length_m(*args)
            shared = captured_length_m(*args, geometry=geometry)
            assert np.array_equal(plain, shared)
            assert np.count_nonzero(plain) > 0  # the comparison is not between zeros


def test_geometry_matches_hand_computation():
    placement = CannulaPlacement(angle_deg=45.0, offset_mm=1.0, lesion_count=2)
    poses = draw_pose_set(
        placement, NERVE, tip_length_mm=10.0, cannula_radius_mm=0.635,
        errors=PlacementError(), samples=50, seed=1, radius_cv=0.0,
    )  # fmt: skip
    centreline = NERVE.centreline_m(0.2)
    batch = poses.batches[0][0]
    geometry = pose_geometry(centreline, batch.tips, batch.directions)
    for lesion in range(2):
        for pose in (0, 17, 49):
            d = centreline - batch.tips[lesion, pose]
            u = batch.directions[pose]
            z = d @ u
            r = np.sqrt(np.maximum(np.sum(d * d, axis=1) - z * z, 0.0))
            assert np.allclose(geometry.z_m[lesion, pose], z, rtol=0, atol=1e-15)
            assert np.allclose(geometry.r_m[lesion, pose], r, rtol=0, atol=1e-12)


def test_pose_set_geometry_computed_once_per_spacing():
    placement = CannulaPlacement(angle_deg=0.0, offset_mm=1.0, lesion_count=1)
    poses = draw_pose_set(
        placement, NERVE, tip_length_mm=5.0, cannula_radius_mm=0.635,
        errors=PlacementError(), samples=100, seed=0, radius_cv=0.1,
    )  # fmt: skip
    first = poses.geometry(NERVE.centreline_m(0.2), 0.2)
    assert poses.geometry(NERVE.centreline_m(0.2), 0.2) is first
    assert poses.geometry(NERVE.centreline_m(0.1), 0.1) is not first
    # The cache is not part of the set's identity.
    assert poses == dataclasses.replace(poses)


def test_estimate_on_shared_set_equals_unshared():
    placement = CannulaPlacement(angle_deg=30.0, offset_mm=1.0, lesion_count=2)
    for profile in (SMALL, LARGE):
        alone = estimate_capture(profile, NERVE, placement, samples=700, seed=5)
        poses = draw_pose_set(
            placement, NERVE, tip_length_mm=5.0, cannula_radius_mm=0.635,
            errors=PlacementError(), samples=700, seed=5, radius_cv=alone.radius_cv,
        )  # fmt: skip
        shared = estimate_capture(profile, NERVE, placement, samples=700, seed=5, poses=poses)
        assert shared == alone


def test_longest_run_ignores_outside_columns_bit_identically():
    # Columns before the first and after the last point any row has inside (less
    # one each side) are dropped; rows are independent, so a row inside at both
    # ends of the nerve keeps every column, and the other rows must come out
    # bit-identical with or without it. A plain scan of runs is the reference.
    from rhizo.planning.capture import longest_inside_run_m

    rng = np.random.default_rng(7)
    margin = rng.normal(0.0, 1e-4, size=(40, 40))
    margin[:, :6] = -1e-3  # every row outside near both ends: those columns drop
    margin[:, -8:] = -1e-3
    margin[:5] = -1e-3  # rows never inside: length 0
    keeps_all = np.full((1, 40), -1e-3)
    keeps_all[0, [0, -1]] = 1e-3
    spacing = 2e-4
    plain = longest_inside_run_m(margin, spacing)
    uncropped = longest_inside_run_m(np.vstack([margin, keeps_all]), spacing)[:-1]
    assert np.array_equal(plain, uncropped)
    assert np.array_equal(plain[:5], np.zeros(5))
    for row, length in zip(margin, plain, strict=True):
        best = run = 0.0
        for left, right in itertools.pairwise(row):
            if left >= 0 and right >= 0:
                run += spacing
            elif left >= 0 or right >= 0:
                inside_value = left if left >= 0 else right
                part = spacing * inside_value / abs(left - right)
                best = max(best, run + part) if left >= 0 else best
                run = part if right >= 0 else 0.0
            else:
                run = 0.0
            best = max(best, run)
        assert length == pytest.approx(best, abs=1e-15)
    assert np.count_nonzero(plain) > 10
