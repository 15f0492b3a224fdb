"""B4: exact steady electro-thermal solution on the real needle, reached by the generator.

With constant sigma and k, no perfusion, an adiabatic equipotential electrode, an
insulated shaft and V = 0, T = T_b on the far boundary, the steady state is

    T - T_b = (sigma / 2k) V (2 V0 - V),  so the tip sits at T_b + sigma V0^2 / (2k)

for any electrode shape (Kohlrausch relation; physics note B4). A generator holding
the tip at T_set must therefore settle at V0 = sqrt(2 k (T_set - T_b) / sigma):
no steady-state error.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import GridSettings, LesionProtocol, Tissue, simulate

SIGMA = 0.446
CONDUCTIVITY = 0.49
BODY_C = 37.0
SET_C = 80.0


@pytest.fixture(scope="module")
def steady_result():  # type: ignore[no-untyped-def]
    tissue = Tissue(
        name="b4",
        electrical_conductivity_s_per_m=SIGMA,
        conductivity_temperature_coefficient_per_k=0.0,
        thermal_conductivity_w_per_m_k=CONDUCTIVITY,
        density_kg_per_m3=1090.0,
        specific_heat_j_per_kg_k=3421.0,
        initial_temperature_c=BODY_C,
        arterial_temperature_c=BODY_C,
    )
    # A 10 mm far boundary and 5 s steps reach the steady state in 600 s.
    grid = GridSettings(far_boundary_mm=10.0, time_step_s=5.0, electric_far_boundary="grounded")
    protocol = LesionProtocol(
        gauge=18,
        tip_length_mm=10,
        set_temperature_c=SET_C,
        duration_s=600,
        ramp_s=0,
        tissue=tissue,
        metal_conducts_heat=False,
        series_resistance_ohm=0.0,  # the tissue alone: V is the tissue voltage
        grid=grid,
    )
    return simulate(protocol)


def test_generator_settles_on_the_exact_voltage(steady_result) -> None:  # type: ignore[no-untyped-def]
    exact_voltage = np.sqrt(2 * CONDUCTIVITY * (SET_C - BODY_C) / SIGMA)  # 9.72 V
    assert steady_result.traces.tip_temperature_c[-1] == pytest.approx(SET_C, abs=1e-6)
    assert steady_result.traces.voltage_v[-1] == pytest.approx(exact_voltage, rel=0.01)


def test_temperature_field_matches_b4(steady_result) -> None:  # type: ignore[no-untyped-def]
    voltage = steady_result.traces.voltage_v[-1]
    potential = steady_result.unit_potential
    exact = BODY_C + SIGMA / (2 * CONDUCTIVITY) * voltage**2 * potential * (2 - potential)
    tissue = ~steady_result.metal
    error = np.abs(steady_result.temperature_c - exact)[tissue].max()
    assert error < 0.01 * (SET_C - BODY_C)
