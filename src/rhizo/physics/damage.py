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

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

GAS_CONSTANT_J_PER_MOL_K = 8.314462618  # CODATA 2018
KELVIN_OFFSET = 273.15


def float_array(values: Any) -> Any:
    """``values`` as float64 in its own array library: CuPy arrays stay on the GPU.

    The engine advances lesions on NumPy or CuPy arrays and calls the damage model and
    the tissue's sigma(T) and perfusion fraction on them; ``np.asarray`` would force a
    device array to the host (CuPy refuses), so device arrays (those exposing
    ``__cuda_array_interface__``) are only cast. NumPy ufuncs such as ``np.exp``
    dispatch to the array's library by themselves.
    """
    if hasattr(values, "__cuda_array_interface__"):
        return values.astype("float64", copy=False)
    return np.asarray(values, dtype=np.float64)


Evidence = Literal["read in source", "derived from read data", "secondary", "recalled"]


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
    evidence: Evidence = Field(
        "read in source", description="how the two parameters were obtained (see docs)"
    )
    endpoint: str = Field(
        "coagulation (Omega >= 1)", description="what Omega = 1 marks in this tissue"
    )

    def log_rate(self, temperature_c: NDArray[np.float64]) -> NDArray[np.float64]:
        """ln(dOmega/dt) in ln(1/s) at each temperature (C), in the input's array library."""
        temperature_k = float_array(temperature_c) + KELVIN_OFFSET
        log_rate: NDArray[np.float64] = math.log(
            self.frequency_factor_per_s
        ) - self.activation_energy_j_per_mol / (GAS_CONSTANT_J_PER_MOL_K * temperature_k)
        return log_rate

    def rate_per_s(self, temperature_c: NDArray[np.float64]) -> NDArray[np.float64]:
        """dOmega/dt in 1/s, in the input's array library (NumPy or CuPy)."""
        rate: NDArray[np.float64] = np.exp(self.log_rate(temperature_c))
        return rate

    def time_to_omega_one_s(self, temperature_c: float) -> float:
        """Exact time to Omega = 1 at a constant temperature (benchmark B9)."""
        return float(np.exp(-self.log_rate(np.array([temperature_c]))[0]))

    def dsc_peak_temperature_c(self, heating_rate_k_per_min: float) -> float:
        """Temperature (C) where the damage rate peaks when heated at a constant rate.

        For a first-order process heated at beta (K/s), d(Omega)/dt * exp(-Omega) peaks
        where beta Ea / (R Tp^2) = A exp(-Ea / (R Tp)) (Kissinger 1957): the peak of a
        differential scanning calorimetry (DSC) trace, so the model can be checked
        against published DSC denaturation peaks. Solved by bisection on 250-450 K.
        """
        if heating_rate_k_per_min <= 0:
            raise ValueError("heating_rate_k_per_min: must be > 0")
        beta_k_per_s = heating_rate_k_per_min / 60.0
        low, high = 250.0, 450.0
        for _ in range(100):
            middle = 0.5 * (low + high)
            rate = float(np.exp(self.log_rate(np.array([middle - KELVIN_OFFSET]))[0]))
            needed = (
                beta_k_per_s
                * self.activation_energy_j_per_mol
                / (GAS_CONSTANT_J_PER_MOL_K * middle**2)
            )
            low, high = (middle, high) if rate < needed else (low, middle)
        return 0.5 * (low + high) - KELVIN_OFFSET

    @classmethod
    def fit(
        cls,
        points: Sequence[tuple[float, float]],
        *,
        name: str,
        source: str,
        endpoint: str,
    ) -> ArrheniusModel:
        """The model whose Omega reaches 1 at each (temperature C, time s) exposure.

        At constant T, Omega = 1 after t_1 = exp(E_a/(R T)) / A, so
        ln t_1 = E_a/R * (1/T) - ln A is a straight line in 1/T: a least-squares fit
        of ln t_1 on 1/T gives E_a (slope * R) and A (exp of minus the intercept).
        Needs at least two distinct temperatures.
        """
        if len({temperature for temperature, _ in points}) < 2:
            raise ValueError("points: need exposures at two or more distinct temperatures")
        if any(time_s <= 0 for _, time_s in points):
            raise ValueError("points: every exposure time must be > 0 s")
        inverse_t = np.array([1.0 / (t + KELVIN_OFFSET) for t, _ in points])
        log_time = np.log(np.array([time_s for _, time_s in points]))
        slope, intercept = np.polyfit(inverse_t, log_time, 1)
        if slope <= 0:
            raise ValueError("points: exposure time must fall as temperature rises")
        return cls(
            name=name,
            frequency_factor_per_s=float(np.exp(-intercept)),
            activation_energy_j_per_mol=float(slope * GAS_CONSTANT_J_PER_MOL_K),
            source=source,
            evidence="derived from read data",
            endpoint=endpoint,
        )


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
"""Jacques' liver coagulation set: the liver's own model and the stand-in for muscle."""

#: Wondergem J, Haveman J, Rusman V, Sminia P, Van Dijk JD. Effects of local
#: hyperthermia on the motor function of the rat sciatic nerve. Int J Radiat Biol
#: 1988;53(3):429-38 (abstract read): a 5 mm segment heated in vivo with a brass
#: thermode; 50 % loss of toe spreading in 50 % of rats after 58, 32 and 12 min at
#: 43.0, 44.0 and 45.0 C; function recovered in every case within 4 weeks.
WONDERGEM_1988_EXPOSURES: tuple[tuple[float, float], ...] = (
    (43.0, 58 * 60.0),
    (44.0, 32 * 60.0),
    (45.0, 12 * 60.0),
)

MUSCLE_DAMAGE_MODEL = ArrheniusModel(
    name="muscle whitening (liver set as stand-in)",
    source=(
        "no muscle-specific Arrhenius set could be verified; Jacques' liver set "
        "(A = 7.39e39 1/s, Ea = 2.577e5 J/mol, as in COMSOL's liver material and "
        "Irastorza's RFA-tutorial) reaches Omega = 1 after ~61 s at 50 C, the border that "
        "bench photographs of cooked muscle mark (Cosman 2014 infers the edge "
        "photographically; yellow 'cooked' tissue > 50 C in Cosman & Gonzalez 2011, "
        "Boston Scientific summary, secondary)"
    ),
    evidence="secondary",
    endpoint="visible whitening of cooked muscle (~50 C held ~1 min)",
)

ALBUMEN_DAMAGE_MODEL = ArrheniusModel(
    name="egg albumen coagulation (Yang 1991)",
    frequency_factor_per_s=3.8e57,
    activation_energy_j_per_mol=3.85e5,
    source=(
        "Yang Y, Welch AJ, Rylander HG 3rd. Rate process parameters of albumen. Lasers "
        "Surg Med 1991;11(2):188-90 (turbidity of heated albumen): A = 3.8e57 1/s, "
        "Ea = 3.85e5 J/mol as recalled, not read in the stored sources; gives Omega = 1 "
        "after ~80 s at 65 C and ~11 s at 70 C, consistent with ovalbumin's DSC "
        "denaturation peak near 80 C (Biosci Biotechnol Biochem 2002;66:1635-40, "
        "abstract read) and egg white setting above ~62 C. Searched for again on "
        "2026-12-01 (the paper, its A and Ea, other egg-white coagulation fits): not found; "
        "the paper's table, or an isothermal series of whitening times fitted by "
        "ArrheniusModel.fit, would verify it"
    ),
    evidence="recalled",
    endpoint="visible whitening (opaque coagulum) of egg white",
)

NERVE_FUNCTION_DAMAGE_MODEL = ArrheniusModel.fit(
    WONDERGEM_1988_EXPOSURES,
    name="nerve motor function (fit to Wondergem 1988)",
    source=(
        "least-squares Arrhenius fit (ln t on 1/T) to the three 50 %-loss exposures of "
        "Wondergem J et al., Int J Radiat Biol 1988;53:429-38 (abstract read: rat "
        "sciatic nerve in vivo, 43-45 C); extrapolated above 45 C, where no nerve "
        "time-temperature data were found. The loss was reversible within 4 weeks, so "
        "Omega = 1 marks temporary loss of function: an outer bound for permanent "
        "denervation"
    ),
    endpoint="loss of nerve motor function (reversible; rat sciatic, toe spreading)",
)

FAT_DAMAGE_MODEL = ArrheniusModel(
    name="fat (COMSOL bioheat library)",
    frequency_factor_per_s=4.43e16,
    activation_energy_j_per_mol=1.3e5,
    source=(
        "COMSOL Heat Transfer Module, Bioheat Materials Database (doc.comsol.com 5.5 and "
        "6.0, 'Bioheat Materials Database' table): Fat, frequency factor 4.43e16 1/s, "
        "activation energy 1.3e5 J/mol (the table's Refs. 4 and 5, not read); Omega = 1 "
        "after ~6 h at 50 C and ~2 min at 90 C"
    ),
    evidence="read in source",
    endpoint="thermal damage of fat (no visible whitening)",
)

DAMAGE_MODELS: dict[str, ArrheniusModel] = {
    "liver": DEFAULT_DAMAGE_MODEL,
    "muscle": MUSCLE_DAMAGE_MODEL,
    "fat": FAT_DAMAGE_MODEL,
    "albumen": ALBUMEN_DAMAGE_MODEL,
    "nerve-function": NERVE_FUNCTION_DAMAGE_MODEL,
}
"""Damage models by short name; each tissue of the catalogue carries one of these."""


def step_increment(
    dt_s: float,
    log_rate_old: NDArray[np.float64],
    log_rate_new: NDArray[np.float64],
    rate_old: NDArray[np.float64] | None = None,
    rate_new: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Omega gained over a step whose log-rate is linear in time from old to new.

    dOmega = dt (r_1 - r_0) / (ln r_1 - ln r_0), exact at constant temperature and for
    a log-rate linear in time (the trapezoid dt (r_0 + r_1)/2 where they are within
    1e-6). ``rate_old``/``rate_new`` are exp of the log-rates when the caller has
    them. Ufuncs and ``np.where`` only, so NumPy and CuPy arrays (NEP 18) both stay
    in their own library: the axisymmetric engine and the 3D engine both call this.
    """
    if rate_old is None:
        rate_old = np.exp(log_rate_old)
    if rate_new is None:
        rate_new = np.exp(log_rate_new)
    rise = log_rate_new - log_rate_old
    close = np.abs(rise) < 1e-6
    increment: NDArray[np.float64] = np.where(
        close,
        (0.5 * dt_s) * (rate_new + rate_old),
        dt_s * (rate_new - rate_old) / np.where(close, 1.0, rise),
    )
    return increment
