"""B10: conservation of energy and the controller's behaviour.

- Electric: the Joule heat summed over cells equals V0 I minus what is dissipated
  beyond the far boundary (exact for the face-split discretisation).
- Thermal: with backward Euler, Joule heat in = stored heat + boundary loss +
  perfusion loss, exactly (to solver precision).
- Control: the tip follows the ramp and holds the set point with no steady-state
  error; limits are respected.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import LesionProtocol, simulate
from tests.physics.conftest import lesion


@pytest.mark.parametrize("tissue", ["chicken-breast-ex-vivo", "muscle-in-vivo"])
def test_heat_balance_closes(tissue: str) -> None:
    result = lesion(tissue=tissue)
    d = result.diagnostics
    accounted = d["stored_energy_j"] + d["boundary_loss_j"] + d["perfusion_loss_j"]
    assert accounted == pytest.approx(d["joule_energy_in_grid_j"], rel=1e-6)
    if tissue == "muscle-in-vivo":
        assert d["perfusion_loss_j"] > 0.01 * d["joule_energy_in_grid_j"]


def test_power_beyond_the_grid_is_the_far_field_share() -> None:
    # A point source loses the fraction r_eq / R of its power beyond radius R; the
    # far boundary is ~40 mm away and r_eq = 1/(4 pi sigma R_tip) is a few mm.
    result = lesion()
    d = result.diagnostics
    outside = 1.0 - d["joule_energy_in_grid_j"] / d["electrical_energy_j"]
    assert 0.0 < outside < 0.12


def test_tip_tracks_the_ramp_and_holds_without_steady_state_error() -> None:
    result = lesion()
    traces = result.traces
    hold = traces.time_s >= result.protocol.ramp_s
    np.testing.assert_allclose(traces.tip_temperature_c, traces.set_point_c, atol=1e-6)
    assert traces.tip_temperature_c[hold][-1] == pytest.approx(80.0, abs=1e-9)


def test_power_limit_is_respected_and_then_the_set_point_is_missed() -> None:
    protocol = LesionProtocol(gauge=16, tip_length_mm=15, duration_s=20, max_power_w=2.0)
    result = simulate(protocol)
    assert result.traces.power_w.max() <= 2.0 + 1e-9
    assert result.traces.tip_temperature_c[-1] < 80.0 - 1.0


def test_voltage_limit_is_respected() -> None:
    protocol = LesionProtocol(duration_s=20, max_voltage_v=8.0)
    result = simulate(protocol)
    assert result.traces.voltage_v.max() <= 8.0 + 1e-9


def test_series_resistance_adds_to_impedance_and_takes_power() -> None:
    base = lesion(duration_s=30)
    padded = simulate(LesionProtocol(duration_s=30, series_resistance_ohm=100.0))
    assert padded.final_impedance_ohm == pytest.approx(base.final_impedance_ohm + 100.0, rel=1e-3)
    assert padded.max_power_w > base.max_power_w
    # The tissue sees the same heating, so the lesion is the same.
    assert padded.lesion.width_mm == pytest.approx(base.lesion.width_mm, rel=1e-6)
