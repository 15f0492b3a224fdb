"""The vectorised fast paths equal per-pose reference code (issue 17, speed).

Each reference below is a second implementation written the slow way: one pose
at a time, every nerve point, the formulas as the module docstrings state them
(the captured length by a plain scan of runs). The fast code evaluates all poses
at once, only on each pose's nearby nerve points, in blocks; it must agree to
1e-12 m. Pose sets (common random numbers) must reproduce the unshared estimate
exactly, and lower the variance of a comparison between two lesions.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from rhizo.planning import CannulaPlacement, LesionProfile, PlacementError, get_joint
from rhizo.planning.capture import captured_length_m, longest_inside_run_m
from rhizo.planning.montecarlo import CHUNK, estimate_capture
from rhizo.planning.nearby import nearby_points
from rhizo.planning.placement import sample_poses
from rhizo.planning.pose_set import draw_pose_set
from rhizo.planning.recommend import Candidate, Setting, rank_candidates
from rhizo.planning.safety import risk_poses
from rhizo.planning.tipdepth import contact_lift_m

NERVE = get_joint("L4-L5").nerves[0]  # curved (assumed arc), 24 mm
STRAIGHT = dataclasses.replace(NERVE, curvature_per_mm=0.0)
PROFILE = LesionProfile.ellipsoid(
    radius_mm=2.5, half_length_mm=7.0, tip_length_mm=10.0, cannula_radius_mm=0.635
)
R_C = 0.635e-3  # 18 G outer radius (m)


def _reference_lift(end, u, tip_m, r_c, points, a, groove_m):  # type: ignore[no-untyped-def]
    """One cannula, every nerve point: the first-contact lift of tipdepth's docstring."""
    near = end - r_c * u
    far = end - max(tip_m, r_c) * u
    rho = a + r_c
    lift = (-a + groove_m) + r_c - min(near[2], far[2])
    for p in points:
        lows = []
        for centre in (near, far):
            d2 = (p[0] - centre[0]) ** 2 + (p[1] - centre[1]) ** 2
            if rho * rho - d2 >= 0.0:
                lows.append(centre[2] - math.sqrt(rho * rho - d2))
        qx, qy = p[0] - far[0], p[1] - far[1]
        q_u = qx * u[0] + qy * u[1]
        alpha = 1.0 - u[2] * u[2]
        beta = -2.0 * q_u * u[2]
        gamma = qx * qx + qy * qy - q_u * q_u - rho * rho
        disc = beta * beta - 4.0 * alpha * gamma
        if alpha > 1e-12 and disc >= 0.0:
            t = (-beta - math.sqrt(disc)) / (2.0 * alpha)
            along = q_u + t * u[2]
            if 0.0 <= along <= max(tip_m - r_c, 0.0):
                lows.append(far[2] + t)
        if lows:
            lift = max(lift, p[2] - min(lows))
    return lift


def _reference_length(profile, points, tips, u, a, scale, spacing):  # type: ignore[no-untyped-def]
    """One pose, every point: margin s R(z) - r - a, then the longest run by a scan."""
    margin = np.full(len(points), -np.inf)
    for tip in tips:
        for i, p in enumerate(points):
            d = p - tip
            z = float(d @ u)
            r = math.sqrt(max(float(d @ d) - z * z, 0.0))
            radius = float(np.interp(z, profile.z_m, profile.radius_m, left=0.0, right=0.0))
            margin[i] = max(margin[i], scale * radius - r - a)
    return _reference_run(margin, spacing)


def _reference_run(margin: np.ndarray, spacing: float) -> float:
    """Longest inside stretch: whole segments inside, partial ones by linear interpolation."""
    best = run = 0.0
    for left, right in itertools.pairwise(margin):
        if left >= 0.0 and right >= 0.0:
            run += spacing
        elif left >= 0.0:  # leaving: the inside fraction ends this run
            best = max(best, run + spacing * left / (left - right))
            run = 0.0
        elif right >= 0.0:  # entering: a new run starts with the inside fraction
            run = spacing * right / (right - left)
        else:
            run = 0.0
        best = max(best, run)
    return best


@pytest.mark.parametrize("nerve", [NERVE, STRAIGHT], ids=["curved", "straight"])
@pytest.mark.parametrize(("angle", "lesions"), [(0.0, 1), (45.0, 2), (90.0, 1)])
def test_contact_lift_on_nearby_points_equals_every_point_per_pose(
    nerve: object, angle: float, lesions: int
) -> None:
    rng = np.random.default_rng(11)
    count = 300
    ends = (
        np.column_stack(
            [rng.normal(0, 4, count), rng.normal(1, 1.2, count), rng.normal(0, 1, count)]
        )
        * 1e-3
    )
    pitch = np.radians(angle + rng.normal(0, 8, count))
    yaw = np.radians(rng.normal(0, 8, count))
    u = np.column_stack([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), -np.sin(pitch)])
    a = rng.uniform(0.35e-3, 0.65e-3, count)
    points = nerve.centreline_m(0.25)  # type: ignore[attr-defined]
    fast = contact_lift_m(
        ends,
        u,
        tip_length_m=10e-3 / lesions,
        cannula_radius_m=R_C,
        centreline_m=points,
        nerve_radius_m=a,
        groove_depth_m=0.2e-3,
    )
    slow = [
        _reference_lift(ends[i], u[i], 10e-3 / lesions, R_C, points, a[i], 0.2e-3)
        for i in range(count)
    ]
    assert np.max(np.abs(fast - np.array(slow))) <= 1e-12
    bone = (-a + 0.2e-3) + R_C - np.minimum(ends[:, 2], (ends - 10e-3 / lesions * u)[:, 2])
    assert 0 < np.count_nonzero(fast > bone + 1e-12) < count  # some ride on the nerve


@pytest.mark.parametrize("nerve", [NERVE, STRAIGHT], ids=["curved", "straight"])
@pytest.mark.parametrize(("angle", "lesions", "spacing_mm"), [(0.0, 1, 0.1), (45.0, 2, 0.2)])
def test_captured_length_on_nearby_points_equals_every_point_per_pose(
    nerve: object, angle: float, lesions: int, spacing_mm: float
) -> None:
    rng = np.random.default_rng(5)
    placement = CannulaPlacement(angle_deg=angle, offset_mm=1.0, lesion_count=lesions)
    poses = sample_poses(
        placement,
        nerve,  # type: ignore[arg-type]
        tip_length_mm=10.0,
        errors=PlacementError(),
        samples=150,
        rng=rng,
        cannula_radius_mm=0.635,
    )
    scale = np.exp(0.2 * rng.standard_normal(150))
    points = nerve.centreline_m(spacing_mm)  # type: ignore[attr-defined]
    fast = captured_length_m(
        PROFILE, points, poses.tips, poses.directions, poses.nerve_radius_m, scale
    )
    slow = [
        _reference_length(
            PROFILE,
            points,
            poses.tips[:, i],
            poses.directions[i],
            poses.nerve_radius_m[i],
            scale[i],
            float(np.linalg.norm(points[1] - points[0])),  # the chord: capture's spacing
        )
        for i in range(150)
    ]
    assert np.max(np.abs(fast - np.array(slow))) <= 1e-12
    assert 0.0 < np.mean(fast > 0) < 1.0  # a mix of captured and missed poses: informative


def test_longest_run_equals_a_plain_scan_including_edges() -> None:
    rng = np.random.default_rng(2)
    margin = rng.standard_normal((400, 40))
    margin[0] = 1.0  # all inside: 39 segments
    margin[1] = -1.0  # all outside
    margin[2, 10:20] = 0.0  # exactly on the boundary counts as inside
    margin[3] = np.abs(margin[3])
    fast = longest_inside_run_m(margin, 0.1)
    slow = np.array([_reference_run(row, 0.1) for row in margin])
    assert np.max(np.abs(fast - slow)) <= 1e-12
    assert fast[0] == pytest.approx(3.9)
    assert fast[1] == 0.0


def test_nearby_points_hold_every_point_in_range_plus_one_each_side() -> None:
    points = STRAIGHT.centreline_m(1.0)  # x = -12 ... 12 mm, 25 points
    low = np.array([-3.5e-3, -20e-3, 11.2e-3])
    high = np.array([2.5e-3, -11.5e-3, 30e-3])
    (x, _, _), index = nearby_points(points, low, high)
    assert index.shape[1] == x.shape[1] == 8  # -4..3 mm: 6 in range + 2 ends
    assert list(np.round(x[0] * 1e3)) == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert list(index[1]) == list(range(8))  # shifted back inside at the nerve's start
    assert list(index[2]) == list(range(17, 25))  # and at its end
    bent = np.column_stack([np.cos(np.linspace(0, 3, 9)), np.zeros(9), np.zeros(9)])
    assert nearby_points(bent, low, high)[1].shape == (3, 9)  # x not increasing: all


def test_pose_set_reproduces_the_unshared_estimate_exactly() -> None:
    placement = CannulaPlacement(angle_deg=45.0, offset_mm=1.0, lesion_count=2)
    samples = CHUNK + 400  # two batches: the stream order (poses, then sizes) matters
    shared = draw_pose_set(
        placement,
        NERVE,
        tip_length_mm=10.0,
        cannula_radius_mm=0.635,
        samples=samples,
        seed=7,
        radius_cv=0.2,
    )
    for profile in (PROFILE, dataclasses.replace(PROFILE, radius_m=PROFILE.radius_m * 1.3)):
        alone = estimate_capture(
            profile, NERVE, placement, samples=samples, seed=7, radius_cv=0.2, spacing_mm=0.2
        )
        on_set = estimate_capture(
            profile,
            NERVE,
            placement,
            samples=samples,
            seed=7,
            radius_cv=0.2,
            spacing_mm=0.2,
            poses=shared,
        )
        assert on_set == alone


def test_pose_set_refuses_a_different_draw() -> None:
    placement = CannulaPlacement()
    shared = draw_pose_set(
        placement,
        NERVE,
        tip_length_mm=10.0,
        cannula_radius_mm=0.635,
        samples=50,
        seed=1,
        radius_cv=0.2,
    )
    with pytest.raises(ValueError, match="seed"):
        estimate_capture(PROFILE, NERVE, placement, samples=50, seed=2, radius_cv=0.2, poses=shared)
    short = LesionProfile.ellipsoid(
        radius_mm=2.5, half_length_mm=4.0, tip_length_mm=5.0, cannula_radius_mm=0.635
    )
    with pytest.raises(ValueError, match="5 mm"):
        estimate_capture(short, NERVE, placement, samples=50, seed=1, radius_cv=0.2, poses=shared)
    with pytest.raises(ValueError, match="placement"):
        estimate_capture(
            PROFILE,
            NERVE,
            CannulaPlacement(offset_mm=2.0),
            samples=50,
            seed=1,
            radius_cv=0.2,
            poses=shared,
        )


def test_pose_set_gives_the_safety_check_its_own_draw() -> None:
    placement = CannulaPlacement(angle_deg=45.0, lesion_count=2)
    kwargs = {"tip_length_mm": 10.0, "cannula_radius_mm": 0.635, "errors": PlacementError()}
    shared = draw_pose_set(placement, NERVE, samples=CHUNK, seed=3, radius_cv=0.2, **kwargs)
    planned, sampled = risk_poses(placement, NERVE, samples=CHUNK, seed=3, **kwargs)
    mine = shared.risk_poses()
    assert mine is not None
    assert np.array_equal(mine[0].tips, planned.tips)
    assert np.array_equal(mine[1].tips, sampled.tips)
    assert np.array_equal(mine[1].directions, sampled.directions)
    two = draw_pose_set(placement, NERVE, samples=CHUNK + 1, seed=3, radius_cv=0.2, **kwargs)
    assert two.risk_poses() is None  # two batches are not risk_poses' single draw


def test_shared_poses_rank_as_independent_evaluations() -> None:
    joint = get_joint("L4-L5")
    candidates = [
        Candidate(Setting(18, 10.0, temperature, 90.0), angle, 1)
        for temperature in (80.0, 85.0)
        for angle in (0.0, 45.0)
    ]
    profiles = {80.0: PROFILE, 85.0: dataclasses.replace(PROFILE, radius_m=PROFILE.radius_m * 1.2)}
    ranked = rank_candidates(
        joint,
        candidates,
        samples=300,
        seed=4,
        lesion_source=lambda protocol: profiles[protocol.set_temperature_c],
    )
    for entry in ranked:
        placement = CannulaPlacement(angle_deg=entry.candidate.angle_deg, offset_mm=1.0)
        profile = profiles[entry.candidate.setting.set_temperature_c]
        for nerve, estimate in zip(joint.nerves, entry.nerves, strict=True):
            alone = estimate_capture(profile, nerve, placement, samples=300, seed=4, spacing_mm=0.2)
            assert estimate == alone


def test_common_random_numbers_lower_the_variance_of_a_comparison() -> None:
    # Two lesions 10 % apart in radius: the spread over seeds of the difference of
    # their capture probabilities is smaller when both see the same poses.
    placement = CannulaPlacement(offset_mm=1.5)
    bigger = dataclasses.replace(PROFILE, radius_m=PROFILE.radius_m * 1.1)
    shared, independent = [], []
    for seed in range(30):
        poses = draw_pose_set(
            placement,
            NERVE,
            tip_length_mm=10.0,
            cannula_radius_mm=0.635,
            samples=200,
            seed=seed,
            radius_cv=0.2,
        )
        kwargs = {"samples": 200, "radius_cv": 0.2, "spacing_mm": 0.2}
        small_p = estimate_capture(PROFILE, NERVE, placement, seed=seed, poses=poses, **kwargs)
        big_p = estimate_capture(bigger, NERVE, placement, seed=seed, poses=poses, **kwargs)
        big_other = estimate_capture(bigger, NERVE, placement, seed=seed + 100, **kwargs)
        shared.append(big_p.capture_probability - small_p.capture_probability)
        independent.append(big_other.capture_probability - small_p.capture_probability)
    assert min(shared) >= 0.0  # with the same poses a bigger lesion never captures less
    # Theory: with the bigger lesion capturing a superset, var(shared) = p_d (1 - p_d) / n
    # (p_d ~ 0.1), against (p1 q1 + p2 q2) / n independent: a ratio near 0.2.
    assert np.var(shared) < 0.5 * np.var(independent)
