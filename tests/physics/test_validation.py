"""Validation against published bench lesions, one literature parameter set, no tuning.

References (docs/validation.md has the full table and the gaps):
- Cosman ER Jr, Dolensky JR, Hoffman RA. Factors that affect radiofrequency heat
  lesion size. Pain Med 2014;15(12):2020-36 (abstract): 22 G -> 16 G at 80 C, 2 min
  raises mean width by 58-65 % (3-4 mm); 60 C -> 90 C at 2 min raises width by
  108-152 %. Lesion edges came from photographic temperature inference, so they
  are compared with the 50 C peak isotherm (the 'cooked' colour change).
- Bogduk N, Macintosh J, Marsland A. Neurosurgery 1987;20:529-35: lesions spread
  radially around the tip, little distally; Cohen SP et al., Anesth Analg 2011:
  lesion radius 1.1-2.2 mm beyond conventional electrodes. Together: 1-3 mm of
  radial extent beyond the metal at clinical settings (18 G, 10 mm, 80 C, 90 s).

The model's gauge effect is smaller than Cosman's (about +40-50 % against
+58-65 %, though +2.5-2.7 mm against +3-4 mm in absolute terms); these tests pin
the model inside a stated band around the published figure so that a change
that moves it further away fails, and docs/validation.md shows the gap.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import GAUGE_OUTER_DIAMETER_MM
from tests.physics.conftest import lesion

COSMAN_BOUNDARY = "isotherm_50c"


@pytest.mark.parametrize("tip_length_mm", [5.0, 10.0, 15.0])
def test_gauge_effect_22_to_16_gauge(tip_length_mm: float) -> None:
    narrow = lesion(22, tip_length_mm, 80.0, 120.0).boundaries[COSMAN_BOUNDARY].width_mm
    wide = lesion(16, tip_length_mm, 80.0, 120.0).boundaries[COSMAN_BOUNDARY].width_mm
    gain_percent = (wide / narrow - 1) * 100
    # Published 58-65 %; band: within 25 percentage points of it.
    assert 58 - 25 <= gain_percent <= 65 + 25
    # Published +3 to +4 mm; band: within 1 mm of it.
    assert 3.0 - 1.0 <= wide - narrow <= 4.0 + 1.0


def test_temperature_effect_60_to_90_c_pooled_over_gauges() -> None:
    gains = [
        lesion(gauge, 10.0, 90.0, 120.0).boundaries[COSMAN_BOUNDARY].width_mm
        / lesion(gauge, 10.0, 60.0, 120.0).boundaries[COSMAN_BOUNDARY].width_mm
        - 1
        for gauge in (16, 18, 20, 22)
    ]
    pooled_percent = float(np.mean(gains)) * 100
    assert 108 <= pooled_percent <= 152


def test_lesion_hugs_the_tip_with_one_to_three_mm_radially() -> None:
    result = lesion(18, 10.0, 80.0, 90.0)
    radial_extent_mm = result.lesion.width_mm / 2 - GAUGE_OUTER_DIAMETER_MM[18] / 2
    assert 1.0 <= radial_extent_mm <= 3.0
    # Little distal reach: less beyond the tip than sideways (prolate, NT1100 manual).
    assert result.lesion.distal_extension_mm < radial_extent_mm
    # Length tracks the exposed tip (Goldberg 1995: r^2 = 0.996 with tip exposure).
    assert result.lesion.length_mm == pytest.approx(10.0 + 3.8, abs=2.0)


def test_lesion_grows_with_time_through_180_s() -> None:
    # Provenzano, Watson, Somers 2015: lesions keep growing through 180 s.
    widths = [lesion(18, 10.0, 80.0, seconds).lesion.width_mm for seconds in (60.0, 90.0, 180.0)]
    assert widths[0] < widths[1] < widths[2]


def test_perfusion_shrinks_the_lesion() -> None:
    bench = lesion(18, 10.0, 80.0, 90.0, "muscle-ex-vivo")
    perfused = lesion(18, 10.0, 80.0, 90.0, "muscle-in-vivo")
    assert perfused.lesion.width_mm < bench.lesion.width_mm
