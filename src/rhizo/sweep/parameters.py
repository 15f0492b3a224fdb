"""The sweepable inputs: every name a sweep spec may vary or fix, with its unit and range.

One definition per bound: protocol bounds are read from the ``LesionProtocol`` field
constraints (annotated_types ``Ge``/``Le``/``Gt``), placement bounds from
``CannulaPlacement``, tissue bounds from ``Tissue`` where it has both; the tissue bounds
the model leaves open are written once here (:data:`TISSUE_BOUNDS`) with their reason.

Targets: ``protocol`` (a ``LesionProtocol`` field), ``tissue`` (a ``Tissue`` field of the
protocol's tissue), ``thermocouple`` (the sensor's bias, applied as an effective set
temperature, :func:`rhizo.sweep.evaluate.effective_set_temperature_c`) and ``placement`` (a
``CannulaPlacement`` field; only with a capture section).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Literal

import annotated_types
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.tissue import Tissue
from rhizo.planning.placement import CannulaPlacement

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

ParameterTarget = Literal["protocol", "tissue", "thermocouple", "placement"]
ParameterKind = Literal["continuous", "integer", "choice"]


@dataclass(frozen=True)
class Parameter:
    """One sweepable input, its unit and its allowed physical range (inclusive).

    ``low_open`` marks a strict lower bound (``gt`` in the model: the value must be
    > ``low``); ``high`` is ``inf`` where the model sets no upper bound.
    """

    name: str
    unit: str
    low: float
    high: float
    kind: ParameterKind
    target: ParameterTarget
    field: str
    description: str
    choices: tuple[float, ...] = ()
    low_open: bool = False

    def allowed(self) -> str:
        """The allowed values in words: "[2, 20] mm", "one of 16, 18, 20, 22", "> 0 W"."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "choice":
            return "one of " + ", ".join(f"{c:g}" for c in self.choices)
        if math.isinf(self.high):
            sign = ">" if self.low_open else ">="
            return f"{sign} {self.low:g}{unit}"
        opening = "(" if self.low_open else "["
        whole = "whole numbers in " if self.kind == "integer" else ""
        return f"{whole}{opening}{self.low:g}, {self.high:g}]{unit}"

    def admits(self, value: float) -> bool:
        """Whether one value lies in this parameter's range (and kind)."""
        return bool(self.admitted(np.array([value], dtype=np.float64))[0])

    def admitted(self, values: FloatArray) -> BoolArray:
        """Element-wise :meth:`admits` of an array (NaN and infinities never admitted)."""
        x = np.asarray(values, dtype=np.float64)
        if self.kind == "choice":
            inside: BoolArray = np.isin(x, np.asarray(self.choices, dtype=np.float64))
            return inside
        ok: BoolArray = np.isfinite(x) & (x <= self.high)
        ok &= (x > self.low) if self.low_open else (x >= self.low)
        if self.kind == "integer":
            ok &= x == np.round(x)
        return ok


def _field_bounds(model: type[BaseModel], field: str) -> tuple[float, float, bool]:
    """(low, high, low_open) from a pydantic field's annotated_types constraints."""
    low, high, low_open = -math.inf, math.inf, False
    for item in model.model_fields[field].metadata:
        if isinstance(item, annotated_types.Ge):
            low, low_open = float(item.ge), False  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low, low_open = float(item.gt), True  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            high = float(item.lt)  # type: ignore[arg-type]
    if math.isinf(low):
        raise ValueError(f"{model.__name__}.{field} has no lower bound to sweep within")
    return low, high, low_open


#: Tissue bounds the ``Tissue`` model leaves open (it only says > 0), for soft tissue
#: around a facet joint at RF (~500 kHz) and body temperature. Wide physical envelopes,
#: not population distributions (evidence: recalled; the population ranges with read
#: sources are rhizo.sweep.ranges.PUBLISHED_RANGES):
#: - electrical conductivity 0.01-2.5 S/m: fat (~0.04 S/m) to cerebrospinal fluid
#:   (~2 S/m), IT'IS tissue database order of magnitude;
#: - thermal conductivity 0.1-1.0 W/(m K): fat (~0.2) to above water (0.6);
#: - density 800-1300 kg/m^3: fat (~900) to tendon/cartilage (~1100-1200);
#: - specific heat 1500-4300 J/(kg K): dry connective tissue to water (4180);
#: - perfusion 0-0.02 1/s: none to ~30 x resting muscle (~6e-4 1/s, IT'IS 'Muscle').
TISSUE_BOUNDS: dict[str, tuple[float, float]] = {
    "electrical_conductivity_s_per_m": (0.01, 2.5),
    "thermal_conductivity_w_per_m_k": (0.1, 1.0),
    "density_kg_per_m3": (800.0, 1300.0),
    "specific_heat_j_per_kg_k": (1500.0, 4300.0),
    "perfusion_rate_per_s": (0.0, 0.02),
}

#: Thermocouple bias range, C (exploratory bound, local_protocol: a few degrees either
#: way, beyond any generator's stated accuracy; not a measured distribution).
THERMOCOUPLE_BIAS_RANGE_C = (-5.0, 5.0)

_PROTOCOL = (
    ("tip_length_mm", "mm", "active tip length"),
    ("set_temperature_c", "C", "generator set temperature (thermocouple reading)"),
    ("duration_s", "s", "time at set temperature"),
    ("ramp_s", "s", "ramp to set temperature"),
    ("max_power_w", "W", "generator power limit"),
    ("max_voltage_v", "V", "generator voltage limit"),
    ("series_resistance_ohm", "ohm", "pad, body and leads in series with the tissue"),
)
_TISSUE = (
    ("electrical_conductivity_s_per_m", "S/m", "electrical conductivity at 37 C"),
    (
        "conductivity_temperature_coefficient_per_k",
        "1/K",
        "temperature coefficient of the electrical conductivity",
    ),
    ("thermal_conductivity_w_per_m_k", "W/(m K)", "thermal conductivity"),
    ("density_kg_per_m3", "kg/m^3", "density"),
    ("specific_heat_j_per_kg_k", "J/(kg K)", "specific heat"),
    ("perfusion_rate_per_s", "1/s", "blood perfusion w_b of the Pennes term"),
    ("initial_temperature_c", "C", "tissue temperature before the lesion"),
)
_PLACEMENT = (
    ("offset_mm", "mm", "cannula offset across the nerve, bone plane"),
    ("angle_deg", "deg", "cannula angle to the nerve (0 = parallel)"),
    ("along_nerve_mm", "mm", "tip midpoint along the nerve"),
    ("height_mm", "mm", "distal end above the nerve (tip_stop 'planned')"),
)


def _build() -> dict[str, Parameter]:
    table: dict[str, Parameter] = {}
    gauges = tuple(float(g) for g in sorted(GAUGE_OUTER_DIAMETER_MM))
    table["gauge"] = Parameter(
        "gauge", "G", gauges[0], gauges[-1], "choice", "protocol", "gauge",
        "cannula gauge", choices=gauges,
    )  # fmt: skip
    for field, unit, text in _PROTOCOL:
        low, high, low_open = _field_bounds(LesionProtocol, field)
        table[field] = Parameter(
            field, unit, low, high, "continuous", "protocol", field, text, low_open=low_open
        )
    for field, unit, text in _TISSUE:
        low, high, low_open = _field_bounds(Tissue, field)
        if field in TISSUE_BOUNDS:
            low, high = TISSUE_BOUNDS[field]
            low_open = low_open and low == 0.0
        name = f"tissue.{field}"
        table[name] = Parameter(
            name, unit, low, high, "continuous", "tissue", field, text, low_open=low_open
        )
    bias_low, bias_high = THERMOCOUPLE_BIAS_RANGE_C
    table["thermocouple_bias_c"] = Parameter(
        "thermocouple_bias_c", "C", bias_low, bias_high, "continuous", "thermocouple", "bias_c",
        "thermocouple reads this much above the true metal temperature",
    )  # fmt: skip
    for field, unit, text in _PLACEMENT:
        low, high, low_open = _field_bounds(CannulaPlacement, field)
        name = f"placement.{field}"
        table[name] = Parameter(
            name, unit, low, high, "continuous", "placement", field, text, low_open=low_open
        )
    return table


PARAMETERS: dict[str, Parameter] = _build()


def get_parameter(name: str) -> Parameter:
    """The parameter called ``name``; KeyError listing the allowed names (with a guess)."""
    try:
        return PARAMETERS[name]
    except KeyError:
        pass
    guess = difflib.get_close_matches(name, list(PARAMETERS), n=1)
    hint = f" (did you mean '{guess[0]}'?)" if guess else ""
    raise KeyError(f"unknown parameter '{name}'{hint}; allowed: {', '.join(PARAMETERS)}")
