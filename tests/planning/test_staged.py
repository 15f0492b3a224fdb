"""The adaptive screen's stages are prefixes of one pose set (issue 17, speed).

A staged pose set makes poses a segment of rows at a time; every step after the
draw is elementwise per row, so a prefix's poses and captured lengths must equal
the first rows of the whole set's, bit for bit (np.array_equal), also across the
2 048-row batches. A screened ranking must then give every candidate it takes to
the full count exactly the unscreened numbers, and every candidate preferred to
the recommended one must be shown worse than the best (upper bound below its
lower bound).
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, PlacementError, get_joint
from rhizo.planning.capture import captured_length_m, captured_lengths_m
from rhizo.planning.lesions import LesionProfile
from rhizo.planning.montecarlo import lengths_on_batches_mm, planned_captured_length_mm
from rhizo.planning.pose_set import draw_pose_set
from rhizo.planning.recommend import (
    candidate_grid,
    leader,
    preference_key,
    rank_candidates,
)
from rhizo.planning.staged import StagedLengths, draw_staged_pose_set

NERVE = get_joint("L4-L5").nerves[0]
PROFILE = LesionProfile.ellipsoid(
    radius_mm=2.5, half_length_mm=7.0, tip_length_mm=10.0, cannula_radius_mm=0.635
)


@pytest.mark.parametrize(
    ("angle_deg", "lesions", "samples"),
    [(0.0, 1, 1000), (0.0, 2, 1000), (45.0, 1, 5000), (90.0, 2, 5000)],
)
def test_prefixes_equal_the_whole_set(angle_deg: float, lesions: int, samples: int) -> None:
    placement = CannulaPlacement(angle_deg=angle_deg, offset_mm=1.0, lesion_count=lesions)
    kw = {
        "tip_length_mm": 10.0,
        "cannula_radius_mm": 0.635,
        "errors": PlacementError(),
        "samples": samples,
        "seed": 7,
        "radius_cv": 0.113,
    }
    whole = draw_pose_set(placement, NERVE, **kw)  # type: ignore[arg-type]
    staged = draw_staged_pose_set(placement, NERVE, **kw)  # type: ignore[arg-type]
    expected = lengths_on_batches_mm(PROFILE, NERVE, whole.batches, spacing_mm=0.2, pose_set=whole)
    lengths = StagedLengths(PROFILE, staged, 0.2)
    # 1/8, 1/4, 1/2, all: with 5000 samples the stages cross the 2048 and 4096 batch edges
    for stop in (samples // 8, samples // 4, samples // 2, samples):
        assert np.array_equal(lengths.up_to(stop), expected[:stop])
    first = whole.batches[0][0]
    made = staged.poses(min(samples, 2048))
    assert np.array_equal(made.tips, first.tips)
    assert np.array_equal(made.directions, first.directions)
    assert np.array_equal(made.nerve_radius_m, first.nerve_radius_m)


def test_a_stop_inside_a_segment_is_refused() -> None:
    staged = draw_staged_pose_set(
        CannulaPlacement(),
        NERVE,
        tip_length_mm=10.0,
        cannula_radius_mm=0.635,
        errors=PlacementError(),
        samples=400,
        seed=0,
        radius_cv=0.0,
    )
    staged.segments(200)
    with pytest.raises(ValueError, match="not a segment boundary"):
        staged.segments(100)
    with pytest.raises(ValueError, match="stop 401"):
        staged.segments(401)


def _sized(protocol: LesionProtocol) -> LesionProfile:
    """Synthetic lesions growing with gauge, temperature and time (no solver)."""
    radius = (
        1.2
        + (22 - protocol.gauge) * 0.2
        + (protocol.set_temperature_c - 80.0) * 0.1
        + (protocol.duration_s - 90.0) * 0.005
    )
    return LesionProfile.cylinder(
        radius_mm=radius, tip_length_mm=protocol.tip_length_mm, distal_mm=0.5
    )


def test_screened_ranking_keeps_full_numbers_and_recommends_the_preferred_one() -> None:
    joint = get_joint("L4-L5")
    candidates = candidate_grid(temperatures_c=(80.0,))
    full = rank_candidates(joint, candidates, samples=400, seed=3, lesion_source=_sized)
    screened = rank_candidates(
        joint,
        candidates,
        samples=400,
        seed=3,
        lesion_source=_sized,
        screen_samples=50,
        refine_top=3,
    )
    by_candidate = {entry.candidate: entry for entry in full}
    taken = [entry for entry in screened if entry.samples == 400]
    assert 1 <= len(taken) < len(candidates)  # the screen saved work
    for entry in taken:  # identical to the unscreened evaluation, same seed
        assert entry.nerves == by_candidate[entry.candidate].nerves
        assert entry.risks == by_candidate[entry.candidate].risks
        assert entry.joint_ci95 == by_candidate[entry.candidate].joint_ci95
    for entry in screened[:10]:  # the ranking's planned lengths, sibling lesions together
        placement = CannulaPlacement(
            angle_deg=entry.candidate.angle_deg,
            offset_mm=1.0,
            lesion_count=entry.candidate.lesion_count,
        )
        profile = _sized(entry.candidate.setting.protocol())
        for nerve, estimate in zip(joint.nerves, entry.nerves, strict=True):
            alone = planned_captured_length_mm(profile, nerve, placement)
            assert estimate.planned_captured_length_mm == alone
    chosen = screened[0]
    assert chosen.equivalent_to_best
    best = leader(taken)
    assert best is not None
    assert chosen.joint_ci95[1] >= best.joint_ci95[0]
    for entry in screened:  # everything preferred to the chosen one is shown worse
        if entry.safe and preference_key(entry) < preference_key(chosen):
            assert entry.joint_ci95[1] < best.joint_ci95[0], entry.label
    assert chosen.candidate == full[0].candidate


def test_several_profiles_at_once_equal_one_at_a_time() -> None:
    placement = CannulaPlacement(angle_deg=45.0, offset_mm=1.0, lesion_count=2)
    whole = draw_pose_set(
        placement,
        NERVE,
        tip_length_mm=10.0,
        cannula_radius_mm=0.635,
        errors=PlacementError(),
        samples=600,
        seed=5,
        radius_cv=0.113,
    )
    poses, scale = whole.batches[0]
    profiles = [
        PROFILE,
        LesionProfile.cylinder(radius_mm=1.5, tip_length_mm=10.0, distal_mm=0.5),
        LesionProfile.ellipsoid(radius_mm=4.0, half_length_mm=9.0, tip_length_mm=10.0),
    ]
    centreline = NERVE.centreline_m(0.2)
    geometry = whole.geometry(centreline, 0.2)[0]
    for shared in (None, geometry):
        together = captured_lengths_m(
            profiles,
            centreline,
            poses.tips,
            poses.directions,
            poses.nerve_radius_m,
            scale,
            geometry=shared,
        )
        for profile, row in zip(profiles, together, strict=True):
            alone = captured_length_m(
                profile,
                centreline,
                poses.tips,
                poses.directions,
                poses.nerve_radius_m,
                scale,
                geometry=shared,
            )
            assert np.array_equal(row, alone)
        assert together[2].mean() > together[0].mean() > together[1].mean() > 0.0
