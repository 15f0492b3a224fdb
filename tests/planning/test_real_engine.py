"""Published qualitative facts with the real lesion engine, no tuning (few simulations)."""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, LesionProfile, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import clear_cache, prefetch_lesions
from rhizo.planning.recommend import candidate_grid, rank_candidates

NERVE = get_joint("L4-L5").nerves[1]
SAMPLES = 4000


def _lesion(gauge: int) -> LesionProfile:
    return lesion_for(
        LesionProtocol(gauge=gauge, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    )


def test_parallel_captures_more_nerve_than_perpendicular() -> None:
    # Bogduk 1987; Lau 2004: electrodes parallel to the nerve.
    profile = lesion_for(LesionProtocol(gauge=18, tip_length_mm=10))
    parallel = estimate_capture(profile, NERVE, CannulaPlacement(angle_deg=0), samples=SAMPLES)
    perpendicular = estimate_capture(
        profile, NERVE, CannulaPlacement(angle_deg=90), samples=SAMPLES
    )
    assert parallel.planned_captured_length_mm > 2 * perpendicular.planned_captured_length_mm
    assert parallel.ci95[0] > perpendicular.ci95[1]


@pytest.mark.parametrize("large", [16, 18])
def test_a_larger_cannula_captures_more(large: int) -> None:
    # Cohen 2020: "large" needles, preferably >= 18 G.
    small = estimate_capture(_lesion(22), NERVE, CannulaPlacement(), samples=SAMPLES)
    big = estimate_capture(_lesion(large), NERVE, CannulaPlacement(), samples=SAMPLES)
    assert big.planned_captured_length_mm > small.planned_captured_length_mm
    assert big.ci95[0] > small.ci95[1]


def test_ranking_prefers_large_parallel_settings() -> None:
    candidates = candidate_grid(
        gauges=(18, 22), tips_mm=(10.0,), temperatures_c=(80.0,), times_s=(90.0,)
    )
    ranked = rank_candidates(get_joint("L4-L5"), candidates, samples=500)
    best, worst = ranked[0].candidate, ranked[-1].candidate
    assert best.setting.gauge == 18
    assert best.angle_deg == 0
    assert worst.setting.gauge == 22
    assert worst.angle_deg > 0
    probabilities = [r.joint_probability for r in ranked]
    assert probabilities == sorted(probabilities, reverse=True)


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
