"""Safety constraints and ranking: clearance against exact solids, the evidence ranges, order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, PlacementError, get_joint
from rhizo.planning.lesions import LesionProfile
from rhizo.planning.recommend import (
    Candidate,
    Setting,
    candidate_grid,
    placed_lesions,
    preference_key,
    rank_candidates,
    safety_exclusions,
)
from rhizo.planning.safety import (
    SAFETY_SOURCES,
    STRUCTURES,
    TEMPERATURE_RANGES_C,
    StructureRisk,
    clearance_m,
    distance_to_outline_m,
    structure_risks,
)

SPHERE = LesionProfile.ellipsoid(radius_mm=2.0, half_length_mm=2.0, tip_length_mm=0.0)


def test_distance_to_a_sphere_is_distance_to_centre_minus_radius() -> None:
    rng = np.random.default_rng(5)
    z = rng.uniform(-5e-3, 5e-3, 200)
    r = rng.uniform(0.0, 5e-3, 200)
    expected = np.hypot(z, r) - 2e-3
    assert distance_to_outline_m(SPHERE, z, r) == pytest.approx(expected, abs=2e-6)


def test_clearance_of_a_point_beyond_a_cylinder_end_and_beside_it() -> None:
    rod = LesionProfile.cylinder(radius_mm=1.0, tip_length_mm=10.0, distal_mm=1.0)
    tips = np.zeros((2, 1, 3))
    tips[1, 0] = (0.0, 3e-3, 0.0)  # a second pass 3 mm across
    direction = np.array([[1.0, 0.0, 0.0]])
    ahead = np.array([4e-3, 0.0, 0.0])  # 4 mm beyond the metal, lesion reaches 1 mm: 3 mm
    assert clearance_m(rod, ahead, tips[:1], direction)[0] == pytest.approx(3e-3)
    beside = np.array([-5e-3, -2.5e-3, 0.0])  # 2.5 mm off the axis, radius 1 mm: 1.5 mm
    assert clearance_m(rod, beside, tips[:1], direction)[0] == pytest.approx(1.5e-3)
    # the union is as close as its nearest lesion: the second pass is 5.5 mm away
    assert clearance_m(rod, beside, tips, direction)[0] == pytest.approx(1.5e-3)
    inside = np.array([-5e-3, 0.5e-3, 0.0])
    assert clearance_m(rod, inside, tips[:1], direction)[0] == pytest.approx(-0.5e-3)


def test_every_structure_and_range_has_sources_with_evidence() -> None:
    for structures in STRUCTURES.values():
        for structure in structures:
            assert structure.sources
            assert all(key in SAFETY_SOURCES for key in structure.sources)
    for allowed in TEMPERATURE_RANGES_C.values():
        assert all(key in SAFETY_SOURCES for key in allowed.sources)
    assert {s.evidence for s in SAFETY_SOURCES.values()} <= {
        "read",
        "read-secondary",
        "assumption",
    }
    assert SAFETY_SOURCES["assumed_ventral_ramus_position"].evidence == "assumption"


@pytest.mark.parametrize(
    ("joint", "temperature_c", "excluded"),
    [("L4-L5", 80.0, False), ("L4-L5", 85.0, False), ("L4-L5", 90.0, True),
     ("C3-C4", 80.0, False), ("C3-C4", 85.0, True), ("L4-L5", 55.0, True)],
)  # fmt: skip
def test_temperature_outside_the_region_evidence_range_is_excluded(
    joint: str, temperature_c: float, excluded: bool
) -> None:
    reasons = safety_exclusions(get_joint(joint), Setting(18, 10.0, temperature_c, 90.0), ())
    assert bool(reasons) is excluded
    if excluded:
        assert "evidence range" in reasons[0]


def test_a_lesion_reaching_a_structure_is_excluded() -> None:
    risk = StructureRisk("ventral ramus", planned_clearance_mm=0.3, reach_probability=0.2)
    reasons = safety_exclusions(get_joint("L4-L5"), Setting(18, 10.0, 80.0, 90.0), (risk,))
    assert reasons == ("lesion reaches the ventral ramus in 20.0% of placements (limit 1%)",)


def test_reach_probability_grows_with_the_lesion() -> None:
    joint = get_joint("L4-L5")
    nerve = joint.nerves[0]
    placement = CannulaPlacement(offset_mm=1.0)

    def reach(radius_mm: float) -> float:
        # the ventral ramus sits 10 mm along, 5 mm deep; the metal ends 5 mm along
        profile = LesionProfile.cylinder(
            radius_mm=radius_mm, tip_length_mm=10.0, distal_mm=radius_mm / 2
        )
        risks = structure_risks(
            profile, joint, nerve, placement, errors=PlacementError(), samples=2000, seed=1
        )
        return risks[0].reach_probability

    small, medium, huge = reach(1.0), reach(4.0), reach(20.0)
    assert small == 0.0
    assert small <= medium <= huge
    assert huge > 0.99


def _sized_lesions(protocol: LesionProtocol) -> LesionProfile:
    """Synthetic lesions: radius grows with gauge size and temperature (no solver)."""
    radius = 1.0 + (22 - protocol.gauge) * 0.25 + (protocol.set_temperature_c - 80.0) * 0.2
    return LesionProfile.cylinder(
        radius_mm=radius, tip_length_mm=protocol.tip_length_mm, distal_mm=0.5
    )


def test_ranking_puts_safe_first_excludes_90_c_and_recommends_an_equivalent_one() -> None:
    joint = get_joint("L4-L5")
    candidates = candidate_grid(
        gauges=(16, 22), tips_mm=(5.0, 10.0), temperatures_c=(80.0, 90.0), times_s=(90.0,)
    )
    ranked = rank_candidates(joint, candidates, samples=400, seed=2, lesion_source=_sized_lesions)
    assert len(ranked) == len(candidates)
    safe = [entry.safe for entry in ranked]
    assert safe == sorted(safe, reverse=True)  # every safe one before every excluded one
    assert all(
        not entry.safe for entry in ranked if entry.candidate.setting.set_temperature_c == 90
    )
    best = ranked[0]
    assert best.safe
    # The recommended one's joint interval reaches the best capture's lower bound
    # (equivalent), and the equivalent ones come first in preference order.
    top_low = max(entry.joint_ci95[0] for entry in ranked if entry.safe)
    tier = [entry for entry in ranked if entry.equivalent_to_best]
    assert tier
    assert tier == ranked[: len(tier)]
    assert all(entry.joint_ci95[1] >= top_low for entry in tier)
    assert [preference_key(e) for e in tier] == sorted(preference_key(e) for e in tier)
    rest = [entry.joint_probability for entry in ranked[len(tier) :] if entry.safe]
    assert rest == sorted(rest, reverse=True)
    assert all(entry.joint_ci95[1] < top_low for entry in ranked[len(tier) :] if entry.safe)
    payload = best.to_dict()
    assert payload["safe"] is True
    assert payload["excluded_because"] == []
    assert payload["structures"][0]["name"] == "ventral ramus"


def test_union_volume_counts_the_overlap_of_two_passes_once() -> None:
    joint = get_joint("L4-L5")
    setting = Setting(18, 10.0, 80.0, 90.0)
    one, two = (
        rank_candidates(
            joint, [Candidate(setting, 0.0, count)], samples=50, lesion_source=_sized_lesions
        )[0]
        for count in (1, 2)
    )
    radius_mm, length = 2.0, 10.5  # _sized_lesions at 18 G, 80 C: 10 mm tip + 0.5 distal
    single = math.pi * radius_mm**2 * length
    expected = 0.0
    placement = CannulaPlacement(angle_deg=0.0, offset_mm=1.0, lesion_count=2)
    for nerve in joint.nerves:
        first, second = placed_lesions(_sized_lesions(setting.protocol()), nerve, placement)
        shift = np.subtract(second.tip_m, first.tip_m) * 1e3
        axis = np.asarray(first.direction)
        assert abs(float(shift @ axis)) < 1e-9  # the passes are side by side
        d = float(np.linalg.norm(shift))
        assert 1.9 < d < 2.6  # 2 mm apart across, plus any difference in depth
        # equal discs r, d apart: 2 r^2 acos(d / 2r) - (d / 2) sqrt(4 r^2 - d^2)
        lens = 2 * radius_mm**2 * math.acos(d / (2 * radius_mm)) - 0.5 * d * math.sqrt(
            4 * radius_mm**2 - d * d
        )
        expected += 2 * single - lens * length
    assert one.union_volume_mm3 == pytest.approx(len(joint.nerves) * single, rel=1e-3)
    assert two.union_volume_mm3 == pytest.approx(expected, rel=1e-3)


def test_screening_then_refining_keeps_the_full_numbers_of_the_best() -> None:
    joint = get_joint("L4-L5")
    candidates = candidate_grid(
        gauges=(16, 20, 22), tips_mm=(5.0, 10.0), temperatures_c=(80.0,), times_s=(90.0,)
    )
    full = rank_candidates(joint, candidates, samples=400, seed=1, lesion_source=_sized_lesions)
    screened = rank_candidates(
        joint,
        candidates,
        samples=400,
        seed=1,
        lesion_source=_sized_lesions,
        screen_samples=100,
        refine_top=6,
    )
    assert len(screened) == len(full)
    refined = [entry for entry in screened if entry.nerves[0].samples == 400]
    assert 1 <= len(refined) < len(candidates)
    by_candidate = {entry.candidate: entry for entry in full}
    for entry in refined:  # same seed, same samples: identical to the unscreened run
        assert entry.nerves == by_candidate[entry.candidate].nerves
        assert entry.joint_probability == by_candidate[entry.candidate].joint_probability
    assert screened[0].candidate == full[0].candidate
