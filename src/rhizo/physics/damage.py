"""Thermal damage: the Arrhenius integral, evaluated in log space.

Omega(t) = integral_0^t A exp(-E_a / (R T(t'))) dt'      (T in kelvin)

Omega = 1 means 1 - exp(-1) = 63 % of the tissue's molecules denatured and is the
default lesion boundary. The rate is computed as exp(ln A - E_a / (R T)) so that
A ~ 1e40 s^-1 never overflows, even in float32 (where exp of 1e104 is inf;
Pearce JA, Models for thermal damage in tissues, Crit Rev Biomed Eng 2010;38:1-20).

At constant temperature Omega = A t exp(-E_a/(R T)), so the time to Omega = 1 is
t_1 = exp(E_a/(R T)) / A (benchmark B9).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

GAS_CONSTANT_J_PER_MOL_K = 8.314462618  # CODATA 2018
KELVIN_OFFSET = 273.15


class ArrheniusModel(BaseModel):
    """Frequency factor and activation energy of a first-order damage process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "liver (Jacques)"
    frequency_factor_per_s: float = Field(7.39e39, gt=0)
    activation_energy_j_per_mol: float = Field(2.577e5, gt=0)
    source: str = (
        "Jacques SL et al., liver coagulation; values as used by COMSOL's built-in liver "
        "material and Irastorza's RFA-tutorial (A = 7.39e39 1/s, Ea = 2.577e5 J/mol); "
        "gives Omega = 1 after ~61 s at 50 C, matching the 50 C lesion-border rule of "
        "cardiac and liver RF models (Lopez-Molina, Rivera, Berjano 2012)"
    )

    def log_rate(self, temperature_c: NDArray[np.float64]) -> NDArray[np.float64]:
        """ln(dOmega/dt) in ln(1/s) at each temperature (C)."""
        temperature_k = np.asarray(temperature_c, dtype=np.float64) + KELVIN_OFFSET
        log_rate = np.log(self.frequency_factor_per_s) - self.activation_energy_j_per_mol / (
            GAS_CONSTANT_J_PER_MOL_K * temperature_k
        )
        return np.asarray(log_rate, dtype=np.float64)

    def rate_per_s(self, temperature_c: NDArray[np.float64]) -> NDArray[np.float64]:
        """dOmega/dt in 1/s."""
        return np.asarray(np.exp(self.log_rate(temperature_c)), dtype=np.float64)

    def time_to_omega_one_s(self, temperature_c: float) -> float:
        """Exact time to Omega = 1 at a constant temperature (benchmark B9)."""
        return float(np.exp(-self.log_rate(np.array([temperature_c]))[0]))


def integrate_omega(
    times_s: NDArray[np.float64],
    temperatures_c: NDArray[np.float64],
    model: ArrheniusModel,
) -> NDArray[np.float64]:
    """Omega after a sampled temperature history (trapezoidal rule in time).

    ``temperatures_c`` has time as its first axis; the result has the remaining shape.
    """
    rates = model.rate_per_s(temperatures_c)
    step = np.diff(np.asarray(times_s, dtype=np.float64))
    mid_rates = 0.5 * (rates[1:] + rates[:-1])
    return np.tensordot(step, mid_rates, axes=(0, 0))


DEFAULT_DAMAGE_MODEL = ArrheniusModel()
