"""Bipolar pairs in the 3D engine: Wondra 2024's confluence both ways, per-tip control.

Wondra et al. 2024 (Pain Practice, "Bipolar radiofrequency ablation lesion areas and
confluence: an ex vivo study and technical report", PMID 38100248; abstract read:
chicken breast, 18/20/22 G probes with 10 mm tips, interprobe distances 6-18 mm,
105 s with a 15 s ramp at 80 C): 18 G pairs were confluent up to about 12 mm (the
limit as given in the project's issue 19, secondary; the abstract's results were not
in the stored text). Published both ways: a 6 mm pair is confluent, an 18 mm pair is
not. Here: 0.6 mm cells (the coarsest whose centres fall inside an 18 G cannula),
far faces insulating (a block on a bench, no pad). Measured: 6 mm confluent
(min log10 Omega on the line between the tips 3.56, midpoint peak 101.8 C), 18 mm
not (gap 8.98 mm, min log10 Omega -1.82, midpoint peak 39.9 C).
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.pairs3d import PairRun, simulate_pair

PROTOCOL = LesionProtocol(
    gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90, ramp_s=15
)


def _run(spacing_mm: float) -> PairRun:
    return simulate_pair(
        PROTOCOL,
        spacing_mm * 1e-3,
        mode="bipolar",
        cell_m=0.6e-3,
        fine_margin_m=2e-3,
        margin_m=8e-3,
    )


@pytest.fixture(scope="module")
def close() -> PairRun:
    return _run(6.0)


def test_a_6_mm_18_g_pair_is_confluent(close: PairRun) -> None:
    assert close.confluence.confluent
    assert close.confluence.gap_mm == 0.0
    assert close.confluence.min_log10_omega > 1.0


def test_an_18_mm_18_g_pair_is_not_confluent() -> None:
    far = _run(18.0)
    assert not far.confluence.confluent
    assert far.confluence.gap_mm > 4.0
    assert far.confluence.midpoint_peak_c is not None
    assert far.confluence.midpoint_peak_c < 50.0


def test_the_hotter_tip_holds_the_set_point_and_the_currents_balance(close: PairRun) -> None:
    traces = close.result.traces
    hottest = np.maximum(traces["tip_temperature_c_1"], traces["tip_temperature_c_2"])
    assert np.array_equal(hottest, traces["tip_temperature_c"])
    assert traces["tip_temperature_c"][-1] == pytest.approx(80.0, abs=1e-6)
    assert np.max(hottest) <= 80.0 + 1e-6
    # The return tip carries the active tip's current back (no pad, insulating faces).
    assert traces["current_a_1"] == pytest.approx(-traces["current_a_2"], rel=1e-6)
    assert traces["current_a_1"] == pytest.approx(traces["current_a"], rel=1e-9)
    # The pair's impedance is about twice one tip's spreading resistance or more.
    assert traces["impedance_ohm"][-1] > 150.0
