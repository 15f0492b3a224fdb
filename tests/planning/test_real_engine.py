"""The planner on the real lesion engine: tissue reported, ranking, batched lesions."""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import CLINICAL_TISSUE, LesionProtocol, get_tissue
from rhizo.planning import CannulaPlacement, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import clear_cache, planner_protocol, prefetch_lesions
from rhizo.planning.recommend import candidate_grid, rank_candidates

NERVE = get_joint("L4-L5").nerves[1]


def test_the_clinical_lesion_names_its_tissue_and_edge() -> None:
    # The published facts themselves: tests/planning/test_published_facts.py.
    profile = lesion_for(
        planner_protocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    )
    assert profile.tissue == CLINICAL_TISSUE
    assert profile.boundary_definition == get_tissue(CLINICAL_TISSUE).lesion_boundary_definition
    estimate = estimate_capture(profile, NERVE, CannulaPlacement(), samples=500)
    assert estimate.to_dict()["tissue"] == CLINICAL_TISSUE


def test_ranking_recommends_a_large_parallel_setting_equivalent_to_the_best() -> None:
    candidates = candidate_grid(
        gauges=(18, 22), tips_mm=(10.0,), temperatures_c=(80.0,), times_s=(90.0,)
    )
    ranked = rank_candidates(get_joint("L4-L5"), candidates, samples=500)
    best, worst = ranked[0].candidate, ranked[-1].candidate
    assert best.setting.gauge == 18
    assert best.angle_deg == 0
    assert worst.setting.gauge == 22
    assert worst.angle_deg > 0
    tier = [r for r in ranked if r.equivalent_to_best]
    assert tier == ranked[: len(tier)]
    best_low = max(r.joint_ci95[0] for r in ranked if r.safe)
    assert all(r.joint_ci95[1] >= best_low for r in tier)
    rest = [r.joint_probability for r in ranked[len(tier) :]]
    assert rest == sorted(rest, reverse=True)


def test_batched_prefetch_fills_the_cache_with_the_engines_lesions() -> None:
    """The planner's batched sweep gives each setting the single engine's lesion."""
    clear_cache()
    protocols = [
        LesionProtocol(gauge=gauge, tip_length_mm=10, set_temperature_c=80, duration_s=60)
        for gauge in (16, 22)
    ] + [LesionProtocol(gauge=22, tip_length_mm=10, set_temperature_c=70, duration_s=60)]
    assert prefetch_lesions([*protocols, protocols[0]], backend="numpy") == 3
    assert prefetch_lesions(protocols) == 0  # all cached now
    batched = [lesion_for(p) for p in protocols]
    clear_cache()
    for protocol, profile in zip(protocols, batched, strict=True):
        single = lesion_for(protocol)
        assert profile.dimensions is not None
        assert single.dimensions is not None
        assert profile.dimensions.width_mm == pytest.approx(single.dimensions.width_mm, rel=1e-6)
        np.testing.assert_allclose(profile.radius_m, single.radius_m, rtol=1e-6, atol=1e-12)
    clear_cache()
