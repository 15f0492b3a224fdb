"""B9: Arrhenius damage at constant temperature, and the log-space rate.

At constant T, Omega = A t exp(-Ea / (R T)); with the liver set (A = 7.39e39 1/s,
Ea = 2.577e5 J/mol) the time to Omega = 1 is 277 s at 45 C, 61 s at 50 C,
14 s at 55 C, 3.4 s at 60 C and 0.23 s at 70 C (physics note 2.3, derived from
Jacques' parameters as used in COMSOL's liver material).
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.damage import ArrheniusModel, integrate_omega

LIVER = ArrheniusModel()


@pytest.mark.parametrize(
    ("temperature_c", "seconds"),
    [(45.0, 277.0), (50.0, 61.0), (55.0, 14.0), (60.0, 3.4), (70.0, 0.23)],
)
def test_time_to_omega_one_matches_the_table(temperature_c: float, seconds: float) -> None:
    # The table is rounded to two significant figures.
    assert LIVER.time_to_omega_one_s(temperature_c) == pytest.approx(seconds, rel=0.03)


def test_constant_temperature_integral_is_exact() -> None:
    times = np.linspace(0.0, 61.0, 62)
    history = np.full((times.size, 3), [45.0, 50.0, 55.0])
    omega = integrate_omega(times, history, LIVER)
    expected = 61.0 / np.array([LIVER.time_to_omega_one_s(t) for t in (45.0, 50.0, 55.0)])
    np.testing.assert_allclose(omega, expected, rtol=1e-12)


def test_ramp_matches_quadrature_of_the_closed_form() -> None:
    # T(t) = 40 + t/3 C for 0..60 s; compare the trapezoid with a fine reference.
    from scipy.integrate import quad

    def rate(t: float) -> float:
        return float(LIVER.rate_per_s(np.array([40.0 + t / 3.0]))[0])

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
