"""The per-step Arrhenius integral both engines use, against closed forms.

With ln r(t) = ln r_0 + (ln r_1 - ln r_0) t / dt, the integral over the step is
dt (r_1 - r_0) / (ln r_1 - ln r_0) exactly; at constant temperature it is r dt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rhizo.physics.damage import DEFAULT_DAMAGE_MODEL, step_increment


def test_constant_temperature_gives_rate_times_dt() -> None:
    log_rate = DEFAULT_DAMAGE_MODEL.log_rate(np.array([60.0]))
    increment = step_increment(10.0, log_rate, log_rate)
    assert float(increment[0]) == pytest.approx(10.0 * math.exp(float(log_rate[0])), rel=1e-12)


def test_log_rate_linear_in_time_against_quadrature() -> None:
    old, new = np.array([-5.0]), np.array([-1.0])  # the rate grows e^4-fold over the step
    dt = 4.0
    exact = dt * (math.exp(-1.0) - math.exp(-5.0)) / 4.0
    # A second implementation: the midpoint rule on 200,000 sub-steps.
    t = (np.arange(200_000) + 0.5) / 200_000
    quadrature = dt * float(np.mean(np.exp(-5.0 + 4.0 * t)))
    assert float(step_increment(dt, old, new)[0]) == pytest.approx(exact, rel=1e-12)
    assert quadrature == pytest.approx(exact, rel=1e-9)
    # The trapezoid (the rule this replaces) overestimates such a step by 107 %.
    trapezoid = 0.5 * dt * (math.exp(-5.0) + math.exp(-1.0))
    assert trapezoid / exact - 1 == pytest.approx(1.0746, abs=1e-3)
