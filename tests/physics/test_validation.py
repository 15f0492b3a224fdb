"""Validation against published bench lesions: one literature parameter set, no tuning.

Every band below is the published one; where the model lies outside it the test is
``xfail(strict=True)`` with the measured figure, so the gap stays visible and a
change that closes it shows up as an unexpected pass (docs/validation.md).

References:
- Cosman ER Jr, Dolensky JR, Hoffman RA. Factors that affect radiofrequency heat
  lesion size. Pain Med 2014;15(12):2020-36, abstract (read in the stored copies
  deploy.doczz.net/doc/5312482 and studylib.net/doc/18420108). Ex vivo animal
  tissue, *sharp* cannulae 23-16 G, tips 5/6/10/15 mm, 60-90 C, 1-10 min; edges by
  photographic temperature inference, so compared with the peak 50 C isotherm
  (the 'cooked' colour change; physics note). Abstract figures:
  22 -> 16 G at 80 C / 2 min: average width +58-65 % (+3-4 mm);
  60 -> 90 C at 2 min: width +108-152 %;
  average width +11-20 % at 2 min and +23-32 % at 3 min, compared with 1 min;
  length exceeds the tip length by 1-5 mm at 80 C / 2 min.
- Bogduk N, Macintosh J, Marsland A. Neurosurgery 1987;20:529-35 (abstract): radial
  spread round the tip, maximal effective radius ~2 mm; Cohen SP et al., Anesth
  Analg 2011 (full-text introduction, secondary): radius 1.1-2.2 mm for
  conventional electrodes. Together: 1-3 mm radial extent beyond the metal at
  clinical settings (18 G, 10 mm, 80 C, 90 s).
- NeuroTherm NT1100 operators manual (2012) section 10: a prolate spheroid that
  extends very little beyond the tip.

'Set time' is read as the time held at the set temperature, after the 15 s ramp.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from rhizo.physics import GAUGE_OUTER_DIAMETER_MM, LesionProtocol, LesionResult, simulate
from tests.physics.conftest import lesion

COSMAN_BOUNDARY = "isotherm_50c"
COSMAN_TIPS_MM = (5.0, 6.0, 10.0, 15.0)
COSMAN_GAUGES = (16, 18, 20, 22)


@cache
def cosman(gauge: int, tip_length_mm: float, set_temperature_c: float, hold_s: float) -> float:
    """Width (mm) of the peak 50 C isotherm for a sharp cannula in the bench tissue."""
    return (
        cosman_result(gauge, tip_length_mm, set_temperature_c, hold_s)
        .boundaries[COSMAN_BOUNDARY]
        .width_mm
    )


@cache
def cosman_result(
    gauge: int, tip_length_mm: float, set_temperature_c: float, hold_s: float
) -> LesionResult:
    """One of Cosman's settings, sharp cannula, chicken breast at 21 C."""
    return simulate(
        LesionProtocol(
            gauge=gauge,
            tip_length_mm=tip_length_mm,
            tip_kind="sharp",
            set_temperature_c=set_temperature_c,
            duration_s=hold_s,
        )
    )


def _gauge_gains() -> tuple[float, float]:
    """Pooled (mean over tips) width gain 22 -> 16 G at 80 C / 2 min: (percent, mm)."""
    narrow = np.array([cosman(22, tip, 80.0, 120.0) for tip in COSMAN_TIPS_MM])
    wide = np.array([cosman(16, tip, 80.0, 120.0) for tip in COSMAN_TIPS_MM])
    return float(np.mean(wide / narrow - 1) * 100), float(np.mean(wide - narrow))


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured 2026-12-01: model +37 % (sharp tips, 50 C isotherm; +47 % blunt) against "
        "Cosman's +58-65 %; an independent reference FEM gets +43 % (physics audit), so a "
        "model-class gap; causes measured one by one in docs/validation.md 'Gauge trend causes'"
    ),
)
def test_gauge_effect_22_to_16_gauge_relative() -> None:
    percent, _ = _gauge_gains()
    assert 58.0 <= percent <= 65.0


@pytest.mark.xfail(
    strict=True,
    reason="measured 2026-12-01: model +2.1 mm (sharp tips; +2.7 mm blunt) against +3 to +4 mm",
)
def test_gauge_effect_22_to_16_gauge_absolute() -> None:
    _, millimetres = _gauge_gains()
    assert 3.0 <= millimetres <= 4.0


def test_bigger_gauge_gives_a_wider_lesion_at_every_tip() -> None:
    # Cosman 2014: width increases with diameter (P < 0.001) for every tip length.
    for tip in COSMAN_TIPS_MM:
        assert cosman(16, tip, 80.0, 120.0) > cosman(22, tip, 80.0, 120.0)


def test_temperature_effect_60_to_90_c_pooled_over_gauges() -> None:
    gains = [
        cosman(gauge, 10.0, 90.0, 120.0) / cosman(gauge, 10.0, 60.0, 120.0) - 1
        for gauge in COSMAN_GAUGES
    ]
    pooled_percent = float(np.mean(gains)) * 100
    assert 108.0 <= pooled_percent <= 152.0


def test_width_grows_with_time_as_published_from_one_to_three_minutes() -> None:
    # Cosman 2014: average width +11-20 % at 2 min and +23-32 % at 3 min vs 1 min
    # (averaged here over the study's gauges, 10 mm tips, 80 C).
    at_2_min = np.mean(
        [cosman(g, 10.0, 80.0, 120.0) / cosman(g, 10.0, 80.0, 60.0) for g in COSMAN_GAUGES]
    )
    at_3_min = np.mean(
        [cosman(g, 10.0, 80.0, 180.0) / cosman(g, 10.0, 80.0, 60.0) for g in COSMAN_GAUGES]
    )
    assert 11.0 <= (at_2_min - 1) * 100 <= 20.0
    assert 23.0 <= (at_3_min - 1) * 100 <= 32.0


@pytest.mark.parametrize("gauge", [16, 22])
@pytest.mark.parametrize("tip_length_mm", COSMAN_TIPS_MM)
def test_length_exceeds_the_tip_by_one_to_five_mm(gauge: int, tip_length_mm: float) -> None:
    # Cosman 2014: length exceeds tip length by 1-5 mm at 80 C / 2 min, both ends.
    dims = cosman_result(gauge, tip_length_mm, 80.0, 120.0).boundaries[COSMAN_BOUNDARY]
    assert 1.0 <= dims.length_mm - tip_length_mm <= 5.0
    assert dims.distal_extension_mm > 0
    assert dims.proximal_extension_mm > 0


def test_lesion_hugs_the_tip_with_one_to_three_mm_radially() -> None:
    result = lesion(18, 10.0, 80.0, 90.0)
    radial_extent_mm = result.lesion.width_mm / 2 - GAUGE_OUTER_DIAMETER_MM[18] / 2
    assert 1.0 <= radial_extent_mm <= 3.0
    # Little distal reach: less beyond the tip than sideways (NT1100 manual).
    assert result.lesion.distal_extension_mm < radial_extent_mm


def test_perfusion_shrinks_the_lesion() -> None:
    bench = lesion(18, 10.0, 80.0, 90.0, "muscle-ex-vivo")
    perfused = lesion(18, 10.0, 80.0, 90.0, "muscle-in-vivo")
    assert perfused.lesion.width_mm < bench.lesion.width_mm
