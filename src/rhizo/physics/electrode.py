"""The RF cannula: gauge, active tip, insulated shaft, end shape, metal.

Geometry (axisymmetric, SI): the cannula axis is the z axis, pointing distally.
The distal end of the metal is at z = 0 and the active (uninsulated) tip spans
``-tip_length_m <= z <= 0``; the insulated shaft runs from ``z = -tip_length_m``
proximally out of the domain. The end is either *blunt* (a hemispherical cap of
the cannula's radius) or *sharp* (a cone, the axisymmetric stand-in for a bevel).

The shape is given as a level set ``phi(r, z)`` (negative inside the metal,
distance-like outside) so that the finite-volume solver can place the metal
surface between cell centres (Shortley-Weller style) instead of staircasing it.
"""

from __future__ import annotations

import math
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Nominal outer diameters of regular-wall hypodermic tubing, ISO 9626:2016 Table 1
#: (16 G 1.651 mm, 18 G 1.270 mm, 20 G 0.908 mm, 22 G 0.718 mm).
GAUGE_OUTER_DIAMETER_MM: dict[int, float] = {16: 1.651, 18: 1.270, 20: 0.908, 22: 0.718}

#: Allowed active-tip lengths (issue 2: 2-20 mm covers marketed RF cannulae).
TIP_LENGTH_RANGE_MM: tuple[float, float] = (2.0, 20.0)

#: Half-angle of the cone that stands in for a sharp bevel. A 15-degree bevel is
#: typical of sharp RF cannulae (Quincke-type points are 12-18 degrees); the cone
#: keeps the metal volume and length of the point while staying axisymmetric.
SHARP_CONE_HALF_ANGLE_DEG = 15.0


class Metal(BaseModel):
    """Thermal properties of the cannula metal (electrically it is an equipotential)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "stainless steel 304"
    #: W/(m K): AISI 304, 16.2 W/(m K) "at 0-100 C" (21.5 at 500 C). Read in source:
    #: ASM Material Data Sheet "AISI Type 304 Stainless Steel" (ASM International /
    #: MatWeb data sheet, UNS S30400; copy stored at scribd.com/document/171714149),
    #: agreeing with a second supplier data sheet (Alloys International, "Stainless
    #: Steel 304 Material Data Sheet": 16.2 W/m-K, 0.5 J/g-C, 8.03 g/cm^3).
    thermal_conductivity_w_per_m_k: float = Field(16.2, gt=0)
    #: kg/m^3 and J/(kg K): the same ASM data sheet, density 8 g/cc and heat capacity
    #: 0.5 J/(g C) "from 0-100 C" (read in source).
    density_kg_per_m3: float = Field(8000.0, gt=0)
    specific_heat_j_per_kg_k: float = Field(500.0, gt=0)


class Electrode(BaseModel):
    """A monopolar RF cannula with an insulated shaft and an active metal tip."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gauge: int = Field(18, description="needle gauge: one of 16, 18, 20, 22")
    tip_length_mm: float = Field(
        10.0,
        ge=TIP_LENGTH_RANGE_MM[0],
        le=TIP_LENGTH_RANGE_MM[1],
        description="active (uninsulated) tip length in mm, 2-20",
    )
    tip_kind: Literal["blunt", "sharp"] = "blunt"
    metal: Metal = Metal()
    #: Thermal resistance of the shaft insulation, m^2 K / W: a 25 um polyimide or
    #: PTFE coat (k ~ 0.2 W/(m K), DuPont Kapton HN datasheet 0.12, PTFE 0.25).
    insulation_thermal_resistance_m2k_per_w: float = Field(0.025e-3 / 0.2, ge=0)

    @field_validator("gauge")
    @classmethod
    def _known_gauge(cls, gauge: int) -> int:
        if gauge not in GAUGE_OUTER_DIAMETER_MM:
            allowed = ", ".join(str(g) for g in GAUGE_OUTER_DIAMETER_MM)
            raise ValueError(f"gauge {gauge} is not in the catalogue; allowed: {allowed}")
        return gauge

    @property
    def radius_m(self) -> float:
        """Outer radius of the cannula in metres."""
        return GAUGE_OUTER_DIAMETER_MM[self.gauge] * 1e-3 / 2

    @property
    def tip_length_m(self) -> float:
        """Active tip length in metres."""
        return self.tip_length_mm * 1e-3

    @property
    def point_length_m(self) -> float:
        """Axial length of the end cap (hemisphere or cone)."""
        if self.tip_kind == "blunt":
            return self.radius_m
        return self.radius_m / math.tan(math.radians(SHARP_CONE_HALF_ANGLE_DEG))

    def level_set(self, r_m: NDArray[np.float64], z_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Signed distance-like function: negative inside the metal, zero on its surface."""
        radius = self.radius_m
        cap_start = -self.point_length_m
        # Cylinder part (z below the cap) and a hemispherical or conical cap above it.
        cylinder = r_m - radius
        if self.tip_kind == "blunt":
            cap = np.hypot(r_m, z_m - cap_start) - radius
        else:
            # Distance-like function of a cone with apex at z = 0: exact on the surface,
            # monotone off it (scaled so its gradient has unit length).
            half_angle = math.radians(SHARP_CONE_HALF_ANGLE_DEG)
            cap = r_m * math.cos(half_angle) + z_m * math.sin(half_angle)
        return np.where(z_m <= cap_start, cylinder, np.maximum(cap, cylinder))

    def is_active(self, z_m: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether a point on the metal surface at axial position z is uninsulated."""
        return np.asarray(z_m >= -self.tip_length_m)


class ElectrodeShape(Protocol):
    """What the finite-volume geometry needs from an electrode."""

    @property
    def radius_m(self) -> float: ...

    @property
    def tip_length_m(self) -> float: ...

    def level_set(
        self, r_m: NDArray[np.float64], z_m: NDArray[np.float64]
    ) -> NDArray[np.float64]: ...

    def is_active(self, z_m: NDArray[np.float64]) -> NDArray[np.bool_]: ...


class SphereElectrode(BaseModel):
    """A spherical electrode of radius r0 centred on the axis at z = -r0.

    Not a clinical cannula: the geometry of the exact solutions B1 (spreading
    resistance) and B6 (transient clamped sphere) used to verify the solver.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sphere_radius_mm: float = Field(1.0, gt=0)

    @property
    def radius_m(self) -> float:
        """Sphere radius in metres."""
        return self.sphere_radius_mm * 1e-3

    @property
    def tip_length_m(self) -> float:
        """Axial extent (the diameter)."""
        return 2 * self.radius_m

    def level_set(self, r_m: NDArray[np.float64], z_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Signed distance to the sphere."""
        return np.asarray(np.hypot(r_m, z_m + self.radius_m) - self.radius_m)

    def is_active(self, z_m: NDArray[np.float64]) -> NDArray[np.bool_]:
        """The whole sphere conducts."""
        return np.ones(np.shape(z_m), dtype=bool)
