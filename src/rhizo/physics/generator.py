"""A temperature-controlled RF generator (the "plant" is the tissue model).

Clinical RF lesion generators raise the tip thermocouple to the set temperature
over a ramp, then hold it there by feedback on the output voltage, within voltage
and power limits. rhizo's controller is model predictive: at every time step it
knows (from the implicit heat step) the tip temperature as an affine function of
the squared voltage, T_tip(V^2) = a + b V^2, and chooses V^2 so that the tip reaches
the reference temperature at the end of the step, clipped to the limits. Without
a binding limit this has no steady-state error by construction, which a P-only
loop would fail (Irastorza's RFA-tutorial resets its integrator every step, so it
acts as P-only and settles below the set point).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class GeneratorSettings(BaseModel):
    """Set temperature, timing and limits of a temperature-controlled generator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    set_temperature_c: float = Field(80.0, ge=37.0, le=95.0)
    #: Time held at the set temperature after the ramp (the "lesion time").
    duration_s: float = Field(90.0, ge=1.0, le=600.0)
    #: Linear ramp of the set point from the starting temperature. 15 s as in the
    #: Wondra 2024 bench protocol (80 C for 105 s including a 15 s ramp).
    ramp_s: float = Field(15.0, ge=0.0, le=120.0)
    #: Output limits typical of pain-management RF generators (e.g. 50 W, 100 V
    #: class instruments; NeuroTherm NT1100 operators manual, 2012, specifications).
    max_power_w: float = Field(50.0, gt=0)
    max_voltage_v: float = Field(100.0, gt=0)
    #: Resistance in series with the tissue (dispersive pad, leads, body). It adds to
    #: the displayed impedance and takes its share of the power; 0 models the tissue alone.
    series_resistance_ohm: float = Field(0.0, ge=0)

    @property
    def total_time_s(self) -> float:
        """Ramp plus hold."""
        return self.ramp_s + self.duration_s

    def reference_temperature_c(self, time_s: float, start_temperature_c: float) -> float:
        """Set point at a time: a linear ramp from the start, then the set temperature."""
        if self.ramp_s <= 0 or time_s >= self.ramp_s:
            return self.set_temperature_c
        fraction = max(time_s, 0.0) / self.ramp_s
        return start_temperature_c + fraction * (self.set_temperature_c - start_temperature_c)


class OutputLimits(Protocol):
    """The generator limits the controller needs: floats, or arrays of one per lesion."""

    @property
    def max_power_w(self) -> Any: ...

    @property
    def max_voltage_v(self) -> Any: ...

    @property
    def series_resistance_ohm(self) -> Any: ...


@dataclass(frozen=True)
class BatchLimits:
    """Per-lesion output limits as arrays (NumPy or CuPy), for a batch of lesions."""

    max_power_w: Any
    max_voltage_v: Any
    series_resistance_ohm: Any


def choose_squared_voltage(
    *,
    tip_base_c: Any,
    tip_gain_c_per_v2: Any,
    reference_c: Any,
    unit_conductance_s: Any,
    settings: OutputLimits,
) -> Any:
    """V^2 at the tissue that brings the tip to ``reference_c`` this step, within limits.

    ``tip_base_c`` is the tip temperature the step would end at with no power and
    ``tip_gain_c_per_v2`` its increase per volt squared; ``unit_conductance_s`` is the
    tissue conductance (current per volt). Limits apply to the generator's output,
    which also drives ``series_resistance_ohm``:

        V_out = V_tissue R_total / R_tissue,   P = V_out^2 / R_total,
        V^2 = min(max((T_ref - a) / b, 0), V_max^2 / s, P_max R_total / s),
        s = (R_total / R_tissue)^2,   and V^2 = 0 where b <= 0.

    Written with arithmetic only, so it takes floats (one lesion, returns a float)
    or arrays of one value per lesion (NumPy or CuPy, returns an array).
    """
    gain_positive = tip_gain_c_per_v2 > 0
    # A shortfall within rounding of the prediction (1e-12 of the set point) is none.
    shortfall = reference_c - tip_base_c
    shortfall = shortfall * (shortfall > 1e-12 * np.abs(reference_c))
    wanted = np.maximum(shortfall / np.maximum(tip_gain_c_per_v2, 1e-300), 0.0)
    tissue_resistance = 1.0 / unit_conductance_s
    total_resistance = tissue_resistance + settings.series_resistance_ohm
    scale = (total_resistance / tissue_resistance) ** 2
    voltage_cap = settings.max_voltage_v**2 / scale
    power_cap = settings.max_power_w * total_resistance / scale
    # NumPy ufuncs dispatch to CuPy arrays (__array_ufunc__), so one code serves both.
    chosen = np.minimum(np.minimum(wanted, voltage_cap), power_cap) * gain_positive
    if isinstance(chosen, np.ndarray | np.generic) and chosen.ndim == 0:
        return float(chosen)
    return chosen
