"""Published qualitative facts on the living-tissue lesion, with no tuning.

The lesions are the engine's in ``CLINICAL_TISSUE`` (perfused muscle at 37 C), the
criterion the sourced default (3 mm of whole cross-section), tips stopped on bone
or nerve, the lesion radius spread on: nothing here is adjusted to make a fact
hold. Two simulations (18 and 22 G; 10 mm, 80 C, 90 s), cached in the process.

- parallel > perpendicular: Bogduk 1987 (lesions radial, not distal), Lau 2004,
  and the direction of Loh 2015 (median relief 4 vs 1.5 months);
- larger gauge > smaller: Cohen 2020 ("large", preferably >= 18 G);
- two lesions > one: atlas practice of 2-4 passes, Govind 2003 (three placements);
- a nerve 6 mm away is not captured: Korean 2004 (CMAP unchanged at 6 mm).
"""

from __future__ import annotations

import pytest

from rhizo.planning import CannulaPlacement, CaptureEstimate, estimate_capture, get_joint
from rhizo.planning.lesions import LesionProfile, lesion_for, planner_protocol

NERVES = get_joint("L4-L5").nerves  # L3 and L4 medial branches
SAMPLES = 3000


def _lesion(gauge: int) -> LesionProfile:
    return lesion_for(
        planner_protocol(gauge=gauge, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    )


def _estimate(gauge: int, nerve: int, **placement: float) -> CaptureEstimate:
    return estimate_capture(
        _lesion(gauge), NERVES[nerve], CannulaPlacement(**placement), samples=SAMPLES, seed=11
    )


def _clearly_above(a: CaptureEstimate, b: CaptureEstimate) -> bool:
    return a.ci95[0] > b.ci95[1]


@pytest.mark.parametrize("nerve", [0, 1])
def test_parallel_captures_more_and_coagulates_more_nerve_than_perpendicular(nerve: int) -> None:
    parallel = _estimate(18, nerve, angle_deg=0, offset_mm=1.0)
    perpendicular = _estimate(18, nerve, angle_deg=90, offset_mm=1.0)
    assert _clearly_above(parallel, perpendicular)
    # Bogduk's length argument: along the tip the nerve meets the lesion's length, across
    # it at most its width; the lesion is longer than wide (17.2 vs 9.9 mm at 18 G), so
    # more than 1.5x the nerve is coagulated in parallel (2.2x measured).
    assert parallel.mean_captured_length_mm > 1.5 * perpendicular.mean_captured_length_mm
    assert parallel.planned_captured_length_mm >= 10.0  # at least the active tip


@pytest.mark.parametrize("angle_deg", [0.0, 90.0])
def test_a_larger_cannula_captures_more(angle_deg: float) -> None:
    big = _estimate(18, 1, angle_deg=angle_deg, offset_mm=2.0)
    small = _estimate(22, 1, angle_deg=angle_deg, offset_mm=2.0)
    assert _clearly_above(big, small)
    assert big.mean_captured_length_mm > small.mean_captured_length_mm


def test_two_lesions_capture_more_than_one() -> None:
    for angle_deg in (0.0, 90.0):
        one = _estimate(22, 0, angle_deg=angle_deg, offset_mm=1.0)
        two = _estimate(22, 0, angle_deg=angle_deg, offset_mm=1.0, lesion_count=2)
        assert _clearly_above(two, one)


@pytest.mark.parametrize("gauge", [18, 22])
def test_a_nerve_planned_6_mm_away_has_no_coagulated_length_at_the_plan(gauge: int) -> None:
    for angle_deg in (0.0, 90.0):
        assert (
            _estimate(gauge, 1, angle_deg=angle_deg, offset_mm=6.0).planned_captured_length_mm == 0
        )


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known model discrepancy, not tuned away: the engine's in-vivo lesion (18 G/10 mm/"
        "80 C/90 s: radius 4.9 mm at the tip's middle, Bogduk 1987 2 mm, Cohen 2011 "
        "1.1-2.2 mm) reaches a nerve planned 6 mm away in ~23 % of placements (errors SD "
        "1.4-1.6 mm); docs/planning.md 'Published facts'"
    ),
)
def test_a_nerve_planned_6_mm_away_is_essentially_not_captured_under_error() -> None:
    assert _estimate(18, 1, angle_deg=0, offset_mm=6.0).capture_probability < 0.05
