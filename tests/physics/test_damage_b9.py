"""B9: Arrhenius damage at constant temperature, and the log-space rate.

At constant T, Omega = A t exp(-Ea / (R T)). The reference parameters are typed in
here from their source, not read from the code: Jacques' liver set as used by
COMSOL's liver material and Irastorza's RFA-tutorial, A = 7.39e39 1/s,
Ea = 2.577e5 J/mol (physics note 2.3, read in source), with R = 8.314462618
J/(mol K) (CODATA 2018). The time to Omega = 1 is then 277 s at 45 C, 61 s at 50 C,
14 s at 55 C, 3.4 s at 60 C and 0.23 s at 70 C (physics note 2.3, derived).

The engine's own damage integral (not only the helper) is checked against the
closed form: a protocol whose set point equals the tissue's starting temperature
delivers no power, so every tissue cell stays at that temperature for the whole
run and must end at Omega = A t exp(-Ea / (R T)) exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.physics import LesionProtocol, Tissue, simulate
from rhizo.physics.damage import ArrheniusModel, integrate_omega

JACQUES_A_PER_S = 7.39e39
JACQUES_EA_J_PER_MOL = 2.577e5
GAS_CONSTANT = 8.314462618

LIVER = ArrheniusModel(
    frequency_factor_per_s=JACQUES_A_PER_S, activation_energy_j_per_mol=JACQUES_EA_J_PER_MOL
)


def exact_omega(temperature_c: float, seconds: float) -> float:
    """A t exp(-Ea / (R T)) with the published constants."""
    return (
        seconds
        * JACQUES_A_PER_S
        * math.exp(-JACQUES_EA_J_PER_MOL / (GAS_CONSTANT * (temperature_c + 273.15)))
    )


@pytest.mark.parametrize(
    ("temperature_c", "seconds"),
    [(45.0, 277.0), (50.0, 61.0), (55.0, 14.0), (60.0, 3.4), (70.0, 0.23)],
)
def test_time_to_omega_one_matches_the_table(temperature_c: float, seconds: float) -> None:
    # The table is rounded to two significant figures.
    assert LIVER.time_to_omega_one_s(temperature_c) == pytest.approx(seconds, rel=0.03)


def test_engine_damage_at_constant_temperature_is_the_closed_form() -> None:
    held_c = 45.0
    tissue = Tissue(
        name="held-at-45",
        electrical_conductivity_s_per_m=0.446,
        thermal_conductivity_w_per_m_k=0.49,
        density_kg_per_m3=1090.0,
        specific_heat_j_per_kg_k=3421.0,
        initial_temperature_c=held_c,
        arterial_temperature_c=held_c,
    )
    result = simulate(
        LesionProtocol(
            tissue=tissue, damage=LIVER, set_temperature_c=held_c, ramp_s=0.0, duration_s=120.0
        )
    )
    assert result.max_power_w == pytest.approx(0.0, abs=1e-12)
    tissue_cells = ~result.metal
    expected = math.log10(exact_omega(held_c, 120.0))  # Omega = 0.43
    np.testing.assert_allclose(result.log10_omega[tissue_cells], expected, atol=1e-9)


def test_ramp_matches_quadrature_of_the_closed_form() -> None:
    # T(t) = 40 + t/3 C for 0..60 s; compare the trapezoid with a fine reference.
    from scipy.integrate import quad

    def rate(t: float) -> float:
        return exact_omega(40.0 + t / 3.0, 1.0)

    reference, _ = quad(rate, 0.0, 60.0, epsabs=0, epsrel=1e-12)
    times = np.linspace(0.0, 60.0, 6001)
    omega = integrate_omega(times, 40.0 + times / 3.0, LIVER)
    assert float(omega) == pytest.approx(reference, rel=1e-5)


def test_log_space_rate_survives_float32() -> None:
    # A = 7.39e104 overflows float32; the log-space rate does not (ecosystem note P1).
    hot = ArrheniusModel(frequency_factor_per_s=7.39e104, activation_energy_j_per_mol=6.68e5)
    log_rate = hot.log_rate(np.array([60.0], dtype=np.float32))
    assert np.isfinite(log_rate).all()
    # 1.346 1/s in the ecosystem note (its gas constant and kelvin offset differ slightly).
    assert float(np.exp(log_rate[0])) == pytest.approx(1.346, rel=0.02)
