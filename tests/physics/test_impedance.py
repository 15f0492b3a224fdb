"""Impedance a clinician recognises: the displayed figure includes the return path.

References:
- the tissue's spreading resistance around the tip: prolate-spheroid electrode,
  R = ln((c + f) / a) / (4 pi sigma f), f = sqrt(c^2 - a^2) (physics note B3; exact for
  a spheroid, the closest closed form to a needle tip of length 2c and radius a);
- the return path (pad, body, leads) and the displayed range: rhizo.physics.return_path
  (RETURN_PATH_RESISTANCE_OHM, an estimate; CLINICAL_DISPLAYED_IMPEDANCE_OHM, 300-700 ohm
  read in a site's RF procedure protocol, local protocol). The model lands below that
  range: the range test is a strict xfail with the measured figures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.physics import GAUGE_OUTER_DIAMETER_MM, TISSUES, LesionProtocol, get_tissue, simulate
from rhizo.physics.return_path import (
    CLINICAL_DISPLAYED_IMPEDANCE_OHM,
    RETURN_PATH_RESISTANCE_OHM,
)

LOW_OHM, HIGH_OHM = CLINICAL_DISPLAYED_IMPEDANCE_OHM


def spheroid_resistance_ohm(sigma_s_per_m: float, tip_length_m: float, radius_m: float) -> float:
    """Spreading resistance of a prolate-spheroid electrode in an infinite medium (B3)."""
    c = tip_length_m / 2
    f = math.sqrt(c**2 - radius_m**2)
    return math.log((c + f) / radius_m) / (4 * math.pi * sigma_s_per_m * f)


def test_the_default_protocol_includes_the_return_path() -> None:
    assert LesionProtocol().series_resistance_ohm == RETURN_PATH_RESISTANCE_OHM


CLINICAL_CANNULAE = [(16, 10.0), (18, 10.0), (20, 10.0), (22, 5.0)]


def _clinical_impedance_ohm(gauge: int, tip_length_mm: float) -> np.ndarray:
    result = simulate(
        LesionProtocol(
            gauge=gauge,
            tip_length_mm=tip_length_mm,
            set_temperature_c=80.0,
            duration_s=90.0,
            tissue="muscle-in-vivo",
        )
    )
    return np.asarray(result.traces.impedance_ohm)


@pytest.mark.parametrize(("gauge", "tip_length_mm"), CLINICAL_CANNULAE)
def test_displayed_impedance_is_the_spheroid_resistance_plus_the_return_path(
    gauge: int, tip_length_mm: float
) -> None:
    shown = _clinical_impedance_ohm(gauge, tip_length_mm)
    # Before heating, the tissue part is the spheroid resistance at the starting sigma,
    # to within the difference between a cylinder-with-cap and a spheroid.
    tissue = get_tissue("muscle-in-vivo")
    sigma = float(tissue.electrical_conductivity(np.array([tissue.initial_temperature_c]))[0])
    radius_m = GAUGE_OUTER_DIAMETER_MM[gauge] / 2 * 1e-3
    tissue_start_ohm = spheroid_resistance_ohm(sigma, tip_length_mm * 1e-3, radius_m)
    assert shown[0] - RETURN_PATH_RESISTANCE_OHM == pytest.approx(tissue_start_ohm, rel=0.15)
    # Heating raises sigma, so the displayed impedance falls during the lesion.
    assert shown[-1] < shown[0]


def test_the_displayed_range_is_the_read_protocol_range() -> None:
    """300-700 ohm, read in a site's RF procedure protocol (local protocol; return_path)."""
    assert CLINICAL_DISPLAYED_IMPEDANCE_OHM == (300.0, 700.0)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured 2026-12-01: with the 100 ohm return-path estimate the clinical cannulae "
        "in living muscle display 181 -> 163 (16 G / 10 mm), 189 -> 169 (18 G / 10 mm), "
        "200 -> 177 (20 G / 10 mm) and 271 -> 230 ohm (22 G / 5 mm), start -> end of "
        "80 C / 90 s, below the 300-700 ohm a site's RF protocol expects (local protocol). "
        "Homogeneous muscle around the tip and an unmeasured return path are the suspects; "
        "the 100 ohm is not tuned to close the gap (docs/validation.md 'Impedance')"
    ),
)
@pytest.mark.parametrize(("gauge", "tip_length_mm"), CLINICAL_CANNULAE)
def test_displayed_impedance_of_a_clinical_lesion_is_in_the_generator_range(
    gauge: int, tip_length_mm: float
) -> None:
    shown = _clinical_impedance_ohm(gauge, tip_length_mm)
    assert LOW_OHM <= shown[0] <= HIGH_OHM
    assert LOW_OHM <= shown[-1] <= HIGH_OHM


def test_the_tissue_alone_reads_below_the_generator_range_for_a_large_cannula() -> None:
    # Why the return path is needed: 16 G / 10 mm in vivo is ~90 ohm on its own (B3).
    bare = simulate(
        LesionProtocol(
            gauge=16, duration_s=30.0, tissue="muscle-in-vivo", series_resistance_ohm=0.0
        )
    )
    assert bare.traces.impedance_ohm[0] < LOW_OHM


def test_catalogue_sigma_slopes_are_the_published_ones() -> None:
    # sigma rises with temperature in every tissue (that is why the impedance falls);
    # each slope names its source, and those citing Irastorza's RFA-tutorial carry
    # its 1.5 %/C (example/RFA_script.py, read in source; docs/physics.md).
    for name, tissue in TISSUES.items():
        slope = tissue.conductivity_temperature_coefficient_per_k
        source = tissue.sources.get("conductivity_temperature_coefficient_per_k", "")
        assert slope > 0, name
        assert source, f"{name}: the sigma(T) slope has no source"
        if "RFA-tutorial" in source:
            assert slope == pytest.approx(0.015), name
