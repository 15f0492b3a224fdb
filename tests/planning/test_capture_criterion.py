"""The capture criterion (length AND whole cross-section), the lesion's tissue and its
size spread, against hand-computed answers and closed forms."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rhizo.physics import CLINICAL_TISSUE, LesionProtocol, get_tissue
from rhizo.planning import (
    MIN_CAPTURED_LENGTH_MM,
    SOURCES,
    CannulaPlacement,
    LesionProfile,
    Nerve,
    PlacementError,
    estimate_capture,
)
from rhizo.planning.capture import A_DELTA_INTERNODE_MM, NODES_FOR_BLOCK
from rhizo.planning.lesions import (
    LESION_RADIUS_CV,
    clear_cache,
    lesion_for,
    planner_protocol,
    radius_scales,
)

TIP_MM = 10.0
RADIUS_MM = 3.0
CYLINDER = LesionProfile.cylinder(radius_mm=RADIUS_MM, tip_length_mm=TIP_MM)
EXACT = PlacementError.none()


def fixed_nerve(diameter_mm: float = 1.0) -> Nerve:
    return Nerve(
        name="fixed nerve",
        landmark="-",
        diameter_mm=diameter_mm,
        diameter_range_mm=(diameter_mm, diameter_mm),
        lateral_sd_mm=0.0,
        course_angle_sd_deg=0.0,
        length_mm=30.0,
    )


def test_default_length_is_three_a_delta_internodes_with_its_source() -> None:
    assert MIN_CAPTURED_LENGTH_MM == NODES_FOR_BLOCK * A_DELTA_INTERNODE_MM == 3.0
    source = SOURCES["block_length"]
    assert source.evidence == "read-secondary"
    assert "nodes of Ranvier" in source.citation


@pytest.mark.parametrize(("chord_mm", "captured"), [(2.9, 0.0), (3.1, 1.0)])
def test_a_chord_just_under_or_over_the_minimum(chord_mm: float, captured: float) -> None:
    # Perpendicular crossing through the tip's midpoint at offset d: chord
    # 2 sqrt((R - a)^2 - d^2), so d = sqrt((R - a)^2 - (chord / 2)^2) by hand (the
    # margin is linear between points 0.1 mm apart: chords good to a few um).
    offset = math.sqrt((RADIUS_MM - 0.5) ** 2 - (chord_mm / 2) ** 2)
    placement = CannulaPlacement(
        angle_deg=90, offset_mm=offset, height_mm=-TIP_MM / 2, tip_stop="planned"
    )
    estimate = estimate_capture(
        CYLINDER, fixed_nerve(), placement, errors=EXACT, samples=50, radius_cv=0.0
    )
    assert estimate.planned_captured_length_mm == pytest.approx(chord_mm, abs=5e-3)
    assert estimate.capture_probability == captured
    assert estimate.mean_captured_length_mm == pytest.approx(chord_mm, abs=5e-3)
    assert estimate.captured_length_band_mm == pytest.approx((chord_mm, chord_mm), abs=5e-3)


def test_a_partly_coagulated_cross_section_counts_for_nothing_however_long() -> None:
    # Parallel, nerve centre 2.51 mm off the axis: its centre is inside R = 3 for the
    # whole 10 mm, its far edge (2.51 + 0.5) is not: no whole cross-section, P = 0.
    placement = CannulaPlacement(offset_mm=2.51, tip_stop="planned")
    estimate = estimate_capture(
        CYLINDER, fixed_nerve(), placement, errors=EXACT, samples=20, radius_cv=0.0
    )
    assert estimate.planned_captured_length_mm == 0.0
    assert estimate.capture_probability == 0.0


def test_lesion_scale_is_log_normal_with_the_tew_spread() -> None:
    # Tew 2015: SD 0.16 mm over a radius from the axis of 1.06 + 0.359 mm.
    expected_cv = 0.16 / (1.06 + 0.718 / 2)
    assert expected_cv == pytest.approx(LESION_RADIUS_CV)
    scales = radius_scales(LESION_RADIUS_CV, 200_000, np.random.default_rng(1))
    assert np.std(scales) / np.mean(scales) == pytest.approx(LESION_RADIUS_CV, rel=0.02)
    assert np.median(scales) == pytest.approx(1.0, abs=0.002)
    assert np.all(radius_scales(0.0, 5, np.random.default_rng(1)) == 1.0)
    with pytest.raises(ValueError, match="radius_cv"):
        radius_scales(float("nan"), 5, np.random.default_rng(1))


def test_a_nerve_on_the_lesion_edge_is_captured_half_the_time() -> None:
    # Edge exactly at the nerve's far side (offset + a = R): captured iff the sampled
    # scale s >= 1, probability 1/2 for a median-1 log-normal.
    placement = CannulaPlacement(offset_mm=RADIUS_MM - 0.5, tip_stop="planned")
    estimate = estimate_capture(CYLINDER, fixed_nerve(), placement, errors=EXACT, samples=4000)
    assert estimate.capture_probability == pytest.approx(0.5, abs=0.03)
    assert estimate.radius_cv == LESION_RADIUS_CV


def test_the_planner_tissue_is_explicit_and_reported() -> None:
    assert planner_protocol(
        gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90
    ).tissue.name == (CLINICAL_TISSUE)
    with pytest.raises(KeyError, match="allowed"):
        planner_protocol(
            gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90, tissue="bone"
        )

    class Fake:
        def __init__(self) -> None:
            self.boundaries = {"arrhenius": None}

        def radius_profile_m(self, boundary: str) -> tuple[np.ndarray, np.ndarray]:
            return np.array([-0.012, -0.005, 0.002]), np.array([0.0, 0.003, 0.0])

    clear_cache()
    protocol: LesionProtocol = planner_protocol(
        gauge=20, tip_length_mm=7, set_temperature_c=71, duration_s=41, tissue="fat-in-vivo"
    )
    profile = lesion_for(protocol, simulator=lambda _: Fake())
    clear_cache()
    assert profile.tissue == "fat-in-vivo"
    assert profile.boundary_definition == get_tissue("fat-in-vivo").lesion_boundary_definition
    assert profile.cannula_radius_m == pytest.approx(0.908e-3 / 2)
    estimate = estimate_capture(profile, fixed_nerve(), CannulaPlacement(), samples=100)
    record = estimate.to_dict()
    assert record["tissue"] == "fat-in-vivo"
    assert record["boundary_definition"] == profile.boundary_definition
    json.dumps(record, allow_nan=False)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, -1.0])
def test_the_minimum_length_refuses_non_finite_or_non_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="min_length_mm"):
        estimate_capture(CYLINDER, fixed_nerve(), CannulaPlacement(), samples=10, min_length_mm=bad)
