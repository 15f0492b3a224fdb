"""A lesion table for interactive answers: tricubic interpolation of engine runs.

For one cannula and tissue (gauge, tip kind, tissue, and every other protocol field at
its default: a :class:`TableSpec`), the batched engine is run once over a grid of
active tip length L (mm), set temperature T (C) and time at temperature t (s). A
query inside that box is answered by interpolating the tabulated results with a
not-a-knot cubic spline along each axis (in L, T and ln t), a tensor product:

    q(L, T, t) = sum_ijk a_i(L) b_j(T) c_k(ln t) q_ijk

where a, b, c are the cubic-spline cardinal functions of each axis (the spline through
a unit vector), so the interpolant reproduces any polynomial of degree <= 3 in each
variable exactly. Tabulated per run and boundary (:data:`rhizo.physics.lesion.
BOUNDARY_DESCRIPTIONS`): width, length, distal and proximal extension, volume, the
axial ends of the lesion (z_top, z_bottom) and the radius profile R at
:data:`PROFILE_POINTS` points spread evenly from z_bottom to z_top; plus the peak
tissue temperature. Runs that warned (tissue reached 100 C) or gave no lesion are
flagged; a query whose tabulated neighbours (the 8 corners of the table cell holding
it) include a flagged run, or whose interpolated peak tissue temperature is within
:data:`PEAK_MARGIN_C` of boiling, is refused (the solver answers, with its own
warning), so a warning is never interpolated away.

The error bound a table carries is empirical: the largest relative error of the
interpolated width (and length) against the engine at held-out random settings,
measured when the table was built (:mod:`rhizo.physics.surrogate_build`). Disk cache
and fallback to the solver: :mod:`rhizo.physics.surrogate_cache`.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator
from scipy.interpolate import CubicSpline

from rhizo.physics.engine import BOILING_TEMPERATURE_C
from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS, LesionDimensions
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.result import LesionResult

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Radius samples along the lesion, from its proximal to its distal end.
PROFILE_POINTS = 41
#: Per boundary: these dimensions (mm, mm^3), then z_top and z_bottom (mm), then R (mm).
DIMENSION_FIELDS = (
    "width_mm",
    "length_mm",
    "distal_extension_mm",
    "proximal_extension_mm",
    "volume_mm3",
)
BOUNDARIES = tuple(BOUNDARY_DESCRIPTIONS)
_PER_BOUNDARY = len(DIMENSION_FIELDS) + 2 + PROFILE_POINTS
#: Where the radius samples lie, as a fraction of the way from z_bottom to z_top.
_XI = np.linspace(0.0, 1.0, PROFILE_POINTS)
#: Length of one tabulated run's vector: all boundaries, then the peak tissue temperature.
QUANTITIES = len(BOUNDARIES) * _PER_BOUNDARY + 1
#: An interpolated peak tissue temperature this close to boiling goes to the solver,
#: which decides the warning (the peak interpolates to about 0.1 C at held-out points;
#: benchmarks/surrogate.py counts warnings the table would have missed: none).
PEAK_MARGIN_C = 1.0
#: The fields a table varies; every other protocol field is the table's.
AXIS_FIELDS = ("tip_length_mm", "set_temperature_c", "duration_s")
#: Points of an axis lie this close to its ends (relative to its span) and still count.
_EDGE_TOLERANCE = 1e-9


class TableAxes(BaseModel):
    """The tabulated settings: tip length (mm), set temperature (C), time at it (s)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tip_length_mm: tuple[float, ...] = Field(min_length=2)
    set_temperature_c: tuple[float, ...] = Field(min_length=2)
    duration_s: tuple[float, ...] = Field(min_length=2)

    @field_validator("tip_length_mm", "set_temperature_c", "duration_s")
    @classmethod
    def _increasing(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        if any(b <= a for a, b in itertools.pairwise(values)):
            raise ValueError(f"axis values must increase strictly, got {values}")
        return values

    @property
    def shape(self) -> tuple[int, int, int]:
        """(tips, temperatures, times)."""
        return (len(self.tip_length_mm), len(self.set_temperature_c), len(self.duration_s))

    @property
    def size(self) -> int:
        """Number of tabulated runs."""
        a, b, c = self.shape
        return a * b * c

    def describe(self) -> str:
        """The box in clinical units, e.g. 'tip 4-18 mm x 60-95 C x 30-180 s'."""
        tip, temp, time = self.tip_length_mm, self.set_temperature_c, self.duration_s
        return (
            f"tip {tip[0]:g}-{tip[-1]:g} mm x {temp[0]:g}-{temp[-1]:g} C x "
            f"{time[0]:g}-{time[-1]:g} s"
        )


#: The clinical table (as in the audit's measured surrogate: 7 tips x 8 temperatures x
#: 8 times, 448 runs): tips 4-18 mm, 60-95 C in 5 C steps, 30-180 s evenly in ln t
#: (rounded to whole seconds, which share the engine's heat factorisations).
DEFAULT_AXES = TableAxes(
    tip_length_mm=(4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 18.0),
    set_temperature_c=(60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0),
    duration_s=(30.0, 39.0, 50.0, 64.0, 82.0, 106.0, 136.0, 180.0),
)


def axis_point(protocol: LesionProtocol) -> tuple[float, float, float]:
    """(tip mm, set temperature C, duration s) of a protocol."""
    return (protocol.tip_length_mm, protocol.set_temperature_c, protocol.duration_s)


class _Axis:
    """Cubic-spline cardinal weights along one axis (in ln for the time axis)."""

    def __init__(self, values: tuple[float, ...], *, log: bool) -> None:
        self.log = log
        self.nodes = np.log(values) if log else np.asarray(values, dtype=np.float64)
        self.node_list = [float(x) for x in self.nodes]
        spline = CubicSpline(self.nodes, np.eye(len(values)), axis=0)
        #: Piecewise coefficients (interval, power 3..0, node): w = ((c3 d + c2) d + c1) d + c0.
        self.coefficients = np.ascontiguousarray(np.moveaxis(spline.c, 1, 0))
        self.low, self.high = self.node_list[0], self.node_list[-1]

    def coordinate(self, value: float) -> float | None:
        """The node coordinate of ``value``, or None outside the axis."""
        x = math.log(value) if self.log else float(value)
        slack = _EDGE_TOLERANCE * (self.high - self.low)
        if not self.low - slack <= x <= self.high + slack:
            return None
        return min(max(x, self.low), self.high)

    def interval(self, x: float) -> int:
        """Index i of the interval nodes[i] <= x <= nodes[i + 1]."""
        return min(max(bisect.bisect_right(self.node_list, x) - 1, 0), len(self.node_list) - 2)

    def weights(self, x: float) -> FloatArray:
        """a_i(x) for every node i (they sum to 1): the cardinal splines at x."""
        i = self.interval(x)
        d = x - self.node_list[i]
        c = self.coefficients[i]
        return np.asarray(((c[0] * d + c[1]) * d + c[2]) * d + c[3], dtype=np.float64)

    def stencil(self, x: float) -> slice:
        """The two nodes of the interval holding x (its tabulated neighbours)."""
        i = self.interval(x)
        return slice(i, i + 2)


class HeldOutError(BaseModel):
    """Surrogate vs engine at held-out random settings, measured at build (percent)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    points: int
    max_width_error_pct: float
    mean_width_error_pct: float
    max_length_error_pct: float
    max_profile_error_pct: float


class TableSpec(BaseModel):
    """What a table tabulates: a base protocol (all but the axis fields) and the axes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: LesionProtocol
    axes: TableAxes = DEFAULT_AXES

    def protocol(
        self, tip_length_mm: float, set_temperature_c: float, duration_s: float
    ) -> LesionProtocol:
        """The base protocol at one point of the box (validated)."""
        data = self.base.model_dump()
        data.update(
            tip_length_mm=tip_length_mm,
            set_temperature_c=set_temperature_c,
            duration_s=duration_s,
        )
        return LesionProtocol.model_validate(data)

    def differing(self, protocol: LesionProtocol) -> list[str]:
        """The protocol's fields, other than the axis fields, that differ from the base."""
        return [
            name
            for name in LesionProtocol.model_fields
            if name not in AXIS_FIELDS and getattr(protocol, name) != getattr(self.base, name)
        ]

    def matches(self, protocol: LesionProtocol) -> bool:
        """True when ``protocol`` differs from the base in the axis fields only."""
        return not self.differing(protocol)

    @property
    def label(self) -> str:
        """Human name: '18 G blunt, muscle-in-vivo'."""
        return f"{self.base.gauge} G {self.base.tip_kind}, {self.base.tissue.name}"


Source = Literal["surrogate", "solver"]


@dataclass(frozen=True)
class LesionAnswer:
    """A lesion's dimensions and radius profiles with where they came from.

    ``source`` is "surrogate" (interpolated in the table ``table_key``, whose held-out
    error is ``held_out``) or "solver" (the engine ran; ``result`` holds its fields and
    ``reason`` says why the table was not used). Dimensions in mm, profiles in metres
    (z along the cannula, 0 at the metal's end, as in
    :meth:`rhizo.physics.result.LesionResult.radius_profile_m`).
    """

    protocol: LesionProtocol
    source: Source
    boundaries: dict[str, LesionDimensions]
    profiles_m: dict[str, tuple[FloatArray, FloatArray]]
    peak_tissue_temperature_c: float
    warnings: tuple[str, ...] = ()
    table_key: str | None = None
    held_out: HeldOutError | None = None
    reason: str = ""
    result: LesionResult | None = field(default=None, repr=False)

    @property
    def lesion(self) -> LesionDimensions:
        """The default boundary (Arrhenius Omega >= 1)."""
        return self.boundaries["arrhenius"]

    @property
    def label(self) -> str:
        """One line for a page: where the numbers came from."""
        if self.source == "surrogate" and self.held_out is not None:
            return (
                "from the surrogate table (max held-out error "
                f"{self.held_out.max_width_error_pct:.2f} %)"
            )
        return f"solved ({self.reason})" if self.reason else "solved"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary: the solver's ``LesionResult.to_dict`` or the same keys
        the table knows (no traces, energy or run time), plus ``provenance``."""
        if self.result is not None:
            return {**self.result.to_dict(), "provenance": self.provenance()}
        protocol, lesion = self.protocol, self.lesion
        return {
            "inputs": {
                "gauge": protocol.gauge,
                "tip_length_mm": protocol.tip_length_mm,
                "tip_kind": protocol.tip_kind,
                "set_temperature_c": protocol.set_temperature_c,
                "duration_s": protocol.duration_s,
                "ramp_s": protocol.ramp_s,
                "tissue": protocol.tissue.name,
                "initial_temperature_c": protocol.tissue.initial_temperature_c,
                "damage_model": protocol.damage.name,
            },
            "boundary": lesion.boundary,
            "lesion_boundary_definition": protocol.lesion_boundary_definition,
            **{name: getattr(lesion, name) for name in DIMENSION_FIELDS},
            "boundaries": {name: dims.model_dump() for name, dims in self.boundaries.items()},
            "peak_tissue_temperature_c": self.peak_tissue_temperature_c,
            "warnings": list(self.warnings),
            "provenance": self.provenance(),
        }

    def provenance(self) -> dict[str, object]:
        """JSON-ready provenance: source, table key and error bound, or the reason."""
        if self.source == "surrogate":
            return {
                "source": "surrogate",
                "table_key": self.table_key,
                "held_out": self.held_out.model_dump() if self.held_out else None,
            }
        return {"source": "solver", "reason": self.reason}


def solver_answer(result: LesionResult, *, reason: str) -> LesionAnswer:
    """The answer of one engine run (``source`` "solver")."""
    return LesionAnswer(
        protocol=result.protocol,
        source="solver",
        boundaries=dict(result.boundaries),
        profiles_m={name: result.radius_profile_m(name) for name in result.boundaries},
        peak_tissue_temperature_c=result.peak_tissue_temperature_c,
        warnings=result.warnings,
        reason=reason,
        result=result,
    )


def run_vector(result: LesionResult) -> tuple[FloatArray, bool]:
    """The tabulated vector of one run, and whether it is usable (no warning, a lesion)."""
    from rhizo.physics.lesion import _axial_extent

    values = np.zeros(QUANTITIES)
    usable = not result.warnings
    for b, name in enumerate(BOUNDARIES):
        dims = result.boundaries[name]
        start = b * _PER_BOUNDARY
        values[start : start + len(DIMENSION_FIELDS)] = [
            getattr(dims, key) for key in DIMENSION_FIELDS
        ]
        field_values, threshold = result.boundary_field(name)
        extent = _axial_extent(result.grid, field_values, threshold, result.metal)
        if extent is None or dims.width_mm <= 0.0:
            usable = False
            continue
        top_m, bottom_m = extent
        z_rows, radius_rows = result.radius_profile_m(name)
        z_samples = bottom_m + _XI * (top_m - bottom_m)
        offset = start + len(DIMENSION_FIELDS)
        values[offset] = top_m * 1e3
        values[offset + 1] = bottom_m * 1e3
        values[offset + 2 : offset + 2 + PROFILE_POINTS] = (
            np.interp(z_samples, z_rows, radius_rows) * 1e3
        )
    values[-1] = result.peak_tissue_temperature_c
    return values, usable


@dataclass(frozen=True)
class SurrogateTable:
    """Tabulated runs of one :class:`TableSpec` and how to interpolate them.

    ``values`` has shape axes.shape + (QUANTITIES,); ``usable`` axes.shape.
    """

    spec: TableSpec
    key: str
    values: FloatArray
    usable: BoolArray
    held_out: HeldOutError | None
    build_s: float
    _axes: tuple[_Axis, _Axis, _Axis] = field(init=False, repr=False, compare=False)
    _flat: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shape = self.spec.axes.shape
        if self.values.shape != (*shape, QUANTITIES) or self.usable.shape != shape:
            raise ValueError(
                f"table arrays have shapes {self.values.shape} and {self.usable.shape}; "
                f"the axes need {(*shape, QUANTITIES)} and {shape}"
            )
        axes = self.spec.axes
        object.__setattr__(self, "_flat", self.values.reshape(self.spec.axes.size, QUANTITIES))
        object.__setattr__(
            self,
            "_axes",
            (
                _Axis(axes.tip_length_mm, log=False),
                _Axis(axes.set_temperature_c, log=False),
                _Axis(axes.duration_s, log=True),
            ),
        )

    def refusal(self, protocol: LesionProtocol, *, matched: bool = False) -> str | None:
        """Why this table cannot answer ``protocol`` (None when it can).

        ``matched``: the caller has checked :meth:`TableSpec.matches` already.
        """
        if not matched and not self.spec.matches(protocol):
            differing = ", ".join(self.spec.differing(protocol))
            return f"not tabulated: {differing} differ from the table's"
        coordinates = self._coordinates(protocol)
        if coordinates is None:
            return f"outside the table ({self.spec.axes.describe()})"
        stencil = tuple(axis.stencil(x) for axis, x in zip(self._axes, coordinates, strict=True))
        if not self.usable[stencil].all():
            return "a tabulated neighbour warned (tissue reached 100 C) or had no lesion"
        return None

    def _coordinates(self, protocol: LesionProtocol) -> tuple[float, float, float] | None:
        coordinates = [
            axis.coordinate(value)
            for axis, value in zip(self._axes, axis_point(protocol), strict=True)
        ]
        if any(x is None for x in coordinates):
            return None
        a, b, c = (float(x) for x in coordinates if x is not None)
        return a, b, c

    def interpolate(self, protocol: LesionProtocol) -> FloatArray:
        """The interpolated run vector at the protocol's (tip, T, t); no range checks."""
        coordinates = self._coordinates(protocol)
        if coordinates is None:
            raise ValueError(f"{axis_point(protocol)} is outside {self.spec.axes.describe()}")
        a_tip, b_temp, c_time = (
            axis.weights(x) for axis, x in zip(self._axes, coordinates, strict=True)
        )
        weights = np.multiply.outer(np.multiply.outer(a_tip, b_temp), c_time).ravel()
        return np.asarray(weights @ self._flat, dtype=np.float64)

    def answer(self, protocol: LesionProtocol, *, matched: bool = False) -> LesionAnswer | str:
        """The surrogate's answer, or the reason it cannot give one (``matched``: see
        :meth:`refusal`)."""
        reason = self.refusal(protocol, matched=matched)
        if reason is not None:
            return reason
        vector = self.interpolate(protocol)
        peak_c = float(vector[-1])
        if peak_c >= BOILING_TEMPERATURE_C - PEAK_MARGIN_C:
            return (
                f"the interpolated peak tissue temperature is {peak_c:.1f} C, within "
                f"{PEAK_MARGIN_C:g} C of boiling ({BOILING_TEMPERATURE_C:g} C)"
            )
        boundaries: dict[str, LesionDimensions] = {}
        profiles: dict[str, tuple[FloatArray, FloatArray]] = {}
        for b, name in enumerate(BOUNDARIES):
            start = b * _PER_BOUNDARY
            dims = np.maximum(vector[start : start + len(DIMENSION_FIELDS)], 0.0)
            boundaries[name] = LesionDimensions(
                boundary=name,
                **{key: float(v) for key, v in zip(DIMENSION_FIELDS, dims, strict=True)},
            )
            offset = start + len(DIMENSION_FIELDS)
            profiles[name] = surrogate_profile(
                top_mm=float(vector[offset]),
                bottom_mm=float(vector[offset + 1]),
                radius_mm=vector[offset + 2 : offset + 2 + PROFILE_POINTS],
            )
        return LesionAnswer(
            protocol=protocol,
            source="surrogate",
            boundaries=boundaries,
            profiles_m=profiles,
            peak_tissue_temperature_c=peak_c,
            table_key=self.key,
            held_out=self.held_out,
        )


def surrogate_profile(
    *, top_mm: float, bottom_mm: float, radius_mm: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(z, R) in metres from the tabulated ends and radii; R = 0 just beyond the ends."""
    n = radius_mm.size
    z = np.empty(n + 2)
    z[1:-1] = (bottom_mm + _XI[:n] * (top_mm - bottom_mm)) * 1e-3
    z[0], z[-1] = z[1] - 1e-9, z[-2] + 1e-9
    radius = np.zeros(n + 2)
    radius[1:-1] = np.maximum(radius_mm, 0.0) * 1e-3
    return z, radius
