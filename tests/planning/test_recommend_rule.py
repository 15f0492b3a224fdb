"""The ranking rule on hand-made candidate sets (issue 17: not just the largest lesion).

Each candidate gets two nerves' estimates built from counts k of n, with the
Wilson interval worked out independently here (the closed form of Wilson 1927),
so the joint interval is the product of those bounds. The rule: among safe
candidates evaluated in full whose joint interval overlaps the best's, the
fewest lesions per nerve, then the smallest union volume, then the shortest
time; the rest by capture.
"""

from __future__ import annotations

import math

import pytest

from rhizo.planning.montecarlo import CaptureEstimate
from rhizo.planning.recommend import (
    Candidate,
    RankedCandidate,
    Setting,
    contenders,
    equivalent_capture,
    largest_capture_alternative,
    order_ranking,
    stage_schedule,
)

Z = 1.959963984540054  # two-sided 95 % normal quantile


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _entry(
    *,
    gauge: int,
    lesions: int,
    volume: float,
    k: tuple[int, int],
    n: int = 1000,
    safe: bool = True,
    ci: tuple[float, float] | None = None,
) -> RankedCandidate:
    nerves = tuple(
        CaptureEstimate(
            nerve=name,
            planned_captured_length_mm=10.0,
            mean_captured_length_mm=10.0 + gauge,
            capture_probability=count / n,
            ci95=_wilson(count, n),
            samples=n,
            min_length_mm=3.0,
        )
        for name, count in zip(("L3 medial branch", "L4 medial branch"), k, strict=True)
    )
    low = math.prod(e.ci95[0] for e in nerves)
    high = math.prod(e.ci95[1] for e in nerves)
    return RankedCandidate(
        candidate=Candidate(Setting(gauge, 10.0, 80.0, 90.0), 0.0, lesions),
        nerves=nerves,
        joint_probability=math.prod(e.capture_probability for e in nerves),
        joint_ci95=ci or (low, high),
        lesion_width_mm=5.0,
        union_volume_mm3=volume,
        lesion_time_s=90.0 * lesions * 2,
        excluded_because=() if safe else ("test: excluded",),
    )


def test_equal_capture_picks_the_smaller_lesion() -> None:
    big = _entry(gauge=16, lesions=2, volume=4000.0, k=(1000, 1000))
    small = _entry(gauge=18, lesions=1, volume=2500.0, k=(998, 997))
    # 998/1000 and 997/1000: upper bounds 0.99945 and 0.99898, product 0.99843,
    # above the big one's lower bound 0.99617^2 = 0.99235: indistinguishable
    assert small.joint_ci95[1] == pytest.approx(0.99843, abs=2e-5)
    assert big.joint_ci95[0] == pytest.approx(0.99235, abs=2e-5)
    ranked = order_ranking([big, small])
    assert [e.candidate for e in ranked] == [small.candidate, big.candidate]
    assert all(e.equivalent_to_best for e in ranked)
    gain = largest_capture_alternative(ranked)
    assert gain is not None
    assert gain["rank"] == 2
    assert gain["joint_capture_gain"] == pytest.approx(1.0 - 0.998 * 0.997, abs=1e-4)
    assert gain["union_volume_extra_mm3"] == pytest.approx(1500.0)
    assert gain["extra_lesions_per_nerve"] == 1
    assert gain["coagulated_length_gain_mm"] == pytest.approx(-2.0)  # 26 vs 28 mm: 16 G


def test_clearly_better_capture_picks_the_bigger_lesion() -> None:
    big = _entry(gauge=16, lesions=2, volume=4000.0, k=(1000, 1000))
    small = _entry(gauge=18, lesions=1, volume=2500.0, k=(990, 990))
    # 990/1000: upper 0.99457, squared 0.98917 < 0.99235: clearly below the best
    assert small.joint_ci95[1] < big.joint_ci95[0]
    ranked = order_ranking([small, big])
    assert ranked[0].candidate == big.candidate
    assert ranked[0].equivalent_to_best
    assert not ranked[1].equivalent_to_best
    assert largest_capture_alternative(ranked) is None  # the recommended one is the best


def test_overlap_boundary_at_just_below_and_above() -> None:
    best = _entry(gauge=16, lesions=2, volume=4000.0, k=(1000, 1000))
    low = best.joint_ci95[0]
    at = _entry(gauge=18, lesions=1, volume=1.0, k=(990, 990), ci=(0.9, low))
    below = _entry(gauge=18, lesions=1, volume=1.0, k=(990, 990), ci=(0.9, math.nextafter(low, 0)))
    above = _entry(gauge=18, lesions=1, volume=1.0, k=(990, 990), ci=(0.9, low + 1e-9))
    assert equivalent_capture(at, best)
    assert not equivalent_capture(below, best)
    assert equivalent_capture(above, best)
    assert order_ranking([best, at])[0] is not None
    assert order_ranking([best, at])[0].candidate == at.candidate
    assert order_ranking([best, below])[0].candidate == best.candidate


def test_preference_fewest_lesions_then_volume_then_time() -> None:
    two_small = _entry(gauge=20, lesions=2, volume=1500.0, k=(1000, 1000))
    one_big = _entry(gauge=16, lesions=1, volume=3000.0, k=(1000, 1000))
    one_bigger = _entry(gauge=16, lesions=1, volume=3200.0, k=(1000, 1000))
    ranked = order_ranking([two_small, one_bigger, one_big])
    assert [e.union_volume_mm3 for e in ranked] == [3000.0, 3200.0, 1500.0]


def test_unsafe_and_screen_only_candidates_are_never_recommended() -> None:
    unsafe = _entry(gauge=16, lesions=1, volume=100.0, k=(1000, 1000), safe=False)
    screened = _entry(gauge=18, lesions=1, volume=200.0, k=(125, 125), n=125)
    full = _entry(gauge=20, lesions=2, volume=3000.0, k=(995, 996))
    ranked = order_ranking([unsafe, screened, full])
    assert ranked[0].candidate == full.candidate
    assert ranked[0].equivalent_to_best
    assert [e.equivalent_to_best for e in ranked] == [True, False, False]
    assert ranked[-1].candidate == unsafe.candidate  # excluded ones last


def test_contenders_drop_only_what_is_below_the_leader() -> None:
    leader = _entry(gauge=16, lesions=2, volume=4000.0, k=(250, 250), n=250)
    low = leader.joint_ci95[0]
    kept = _entry(gauge=18, lesions=1, volume=1.0, k=(240, 240), n=250, ci=(0.8, low))
    dropped = _entry(
        gauge=20, lesions=1, volume=1.0, k=(240, 240), n=250, ci=(0.8, math.nextafter(low, 0))
    )
    unsafe = _entry(gauge=22, lesions=1, volume=1.0, k=(250, 250), n=250, safe=False)
    found = contenders([leader, kept, dropped, unsafe])
    assert [e.candidate for e in found] == [leader.candidate, kept.candidate]


@pytest.mark.parametrize(
    ("samples", "screen", "stages"),
    [
        (1000, 125, [125, 250, 500, 1000]),
        (1000, 250, [250, 500, 1000]),
        (1000, 300, [300, 600, 1000]),
        (1000, 500, [500, 1000]),
        (1000, 999, [999, 1000]),
        (1000, 1000, [1000]),
        (1000, None, [1000]),
        (400, 50, [50, 100, 200, 400]),
    ],
)
def test_stage_schedule(samples: int, screen: int | None, stages: list[int]) -> None:
    assert stage_schedule(samples, screen) == stages


def test_stage_schedule_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="samples 0"):
        stage_schedule(0, None)
    with pytest.raises(ValueError, match="screen_samples 0"):
        stage_schedule(1000, 0)
