"""Monte Carlo capture probability: intervals, convergence, caching and speed-independent facts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rhizo.planning import (
    JOINTS,
    SOURCES,
    CannulaPlacement,
    LesionProfile,
    PlacementError,
    estimate_capture,
    get_joint,
    wilson_interval,
)
from rhizo.planning.lesions import clear_cache, lesion_for

PROFILE = LesionProfile.ellipsoid(radius_mm=3.0, half_length_mm=7.0, tip_length_mm=10.0)
NERVE = get_joint("L4-L5").nerves[0]


def test_wilson_interval_matches_a_hand_computation() -> None:
    # p = 0.5, n = 100: centre 0.5, half = 1.96 * sqrt(0.0025 + 1.96^2/40000) / 1.038416
    low, high = wilson_interval(50, 100)
    assert (low, high) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def test_estimate_stays_inside_its_interval_as_samples_grow() -> None:
    estimates = [
        estimate_capture(PROFILE, NERVE, CannulaPlacement(offset_mm=1.5), samples=n, seed=n)
        for n in (1_000, 4_000, 16_000, 64_000)
    ]
    final = estimates[-1].capture_probability
    assert 0.05 < final < 0.95  # an informative case, not a trivial 0 or 1
    for estimate in estimates[:-1]:
        low, high = estimate.ci95
        assert low <= final <= high
    widths = [e.ci95[1] - e.ci95[0] for e in estimates]
    assert all(b < a for a, b in itertools.pairwise(widths))
    assert widths[0] / widths[-1] == pytest.approx(8.0, rel=0.2)  # ~ sqrt(64)


def test_same_seed_same_answer_and_no_error_means_certainty() -> None:
    a = estimate_capture(PROFILE, NERVE, CannulaPlacement(), samples=500, seed=3)
    b = estimate_capture(PROFILE, NERVE, CannulaPlacement(), samples=500, seed=3)
    assert a == b
    exact = estimate_capture(
        PROFILE,
        get_joint("L5-S1").nerves[1],
        CannulaPlacement(offset_mm=0.5),
        errors=PlacementError.none(),
        samples=200,
    )
    # Placement is exact; only anatomy varies (L5 dorsal ramus SD 1 mm) -> mostly captured.
    assert exact.capture_probability > 0.9


@pytest.mark.parametrize("samples", [1, 2047, 2049])
def test_batches_cover_every_sample(samples: int) -> None:
    estimate = estimate_capture(PROFILE, NERVE, CannulaPlacement(), samples=samples)
    assert estimate.samples == samples
    assert 0.0 <= estimate.capture_probability <= 1.0


def test_parallel_beats_perpendicular_and_offset_hurts_on_a_synthetic_lesion() -> None:
    parallel = estimate_capture(PROFILE, NERVE, CannulaPlacement(angle_deg=0), samples=4000)
    perpendicular = estimate_capture(PROFILE, NERVE, CannulaPlacement(angle_deg=90), samples=4000)
    far = estimate_capture(PROFILE, NERVE, CannulaPlacement(offset_mm=3.0), samples=4000)
    assert parallel.capture_probability > perpendicular.capture_probability
    assert parallel.capture_probability > far.capture_probability
    assert parallel.planned_captured_length_mm > perpendicular.planned_captured_length_mm


def test_the_lesion_is_simulated_once_per_setting() -> None:
    from rhizo.physics import LesionProtocol

    calls: list[str] = []

    class FakeResult:
        def __init__(self) -> None:
            self.boundaries = {"arrhenius": None}

        def radius_profile_m(self, boundary: str) -> tuple[np.ndarray, np.ndarray]:
            return np.array([-0.012, -0.005, 0.002]), np.array([0.0, 0.003, 0.0])

    def fake(protocol: LesionProtocol) -> FakeResult:
        calls.append(protocol.model_dump_json())
        return FakeResult()

    clear_cache()
    protocol = LesionProtocol(gauge=20, tip_length_mm=7, set_temperature_c=77, duration_s=33)
    first = lesion_for(protocol, simulator=fake)
    second = lesion_for(LesionProtocol(**protocol.model_dump()), simulator=fake)
    assert first is second
    assert len(calls) == 1
    clear_cache()


def test_every_joint_has_nerves_with_known_sources() -> None:
    assert set(JOINTS) == {
        "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1",
        "C2-C3", "C3-C4", "C4-C5", "C5-C6", "C6-C7", "C7-T1",
    }  # fmt: skip
    for joint in JOINTS.values():
        assert joint.nerves
        for key in joint.sources:
            assert key in SOURCES
        for nerve in joint.nerves:
            assert nerve.sources, nerve.name
            assert all(key in SOURCES for key in nerve.sources)
            low, high = nerve.diameter_range_mm
            assert low <= nerve.diameter_mm <= high < 2.5
    assert [n.name for n in get_joint("L5-S1").nerves] == ["L4 medial branch", "L5 dorsal ramus"]
    assert [n.name for n in get_joint("c2-3").nerves] == ["third occipital nerve"]
    assert get_joint("L4/L5").name == "L4-L5"
    with pytest.raises(KeyError, match="allowed"):
        get_joint("L6-L7")


def test_every_assumption_is_labelled() -> None:
    for key, source in SOURCES.items():
        assert source.evidence in {"read", "read-secondary", "assumption"}
        assert (source.evidence == "assumption") == key.startswith("assumed"), key
