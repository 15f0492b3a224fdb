"""An internally cooled electrode: coolant flowing inside the active tip as a heat sink.

Water circulates in a closed lumen inside the active tip (Coolief-type probes, 17 G,
4 or 5.5 mm tip, 60 C set temperature); it carries heat away from the metal, so the
generator must deliver more power to hold the tip at its set point and the hottest
tissue sits a little way out from the metal: a larger, rounder lesion. Modelled as
a convective sink on the lumen's wall, spread over the active tip's metal cells by
volume (the metal conducts well, so where on the tip the heat leaves matters little):

    S_P = h A_wall V_P / V_tip   (W/K),    heat removed = sum_P S_P (T_P - T_cool),
    A_wall = pi D L_tip,         h = Nu k_w / D,
    Re = 4 m_dot / (pi D mu) = rho u D / mu,
    Nu = 4.36                    laminar, fully developed, uniform wall heat flux (Re < 2300),
    Nu = 0.023 Re^0.8 Pr^0.4     Dittus-Boelter, turbulent, fluid being heated (Re >= 2300).

Both Nusselt relations are the textbook ones (RECALLED: Incropera & DeWitt,
Fundamentals of Heat and Mass Transfer, 6th ed., eqs 8.53 and 8.60), as are the
water properties at 25 C (RECALLED: Incropera Table A.6: k 0.607 W/(m K),
mu 8.9e-4 Pa s, c_p 4180 J/(kg K), rho 997 kg/m^3, Pr 6.1). The fully developed
laminar value ignores the entrance region, where Nu is higher: the sink here is a
lower bound. The lumen's diameter and the pump's flow are not published for the
commercial probes (LOCAL assumption, stated in :data:`COOLED_17G`); the coolant is
water near room temperature (RECALLED: the Coolief pump circulates sterile water at
room temperature). The term enters the heat matrix implicitly
(:class:`rhizo.physics.three_d.heat3d.HeatStepper3D`), so the matrix stays SPD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.fv3d import Geometry3D

FloatArray = NDArray[np.float64]

#: Water at 25 C (RECALLED: Incropera & DeWitt, Table A.6).
WATER_CONDUCTIVITY_W_PER_M_K = 0.607
WATER_VISCOSITY_PA_S = 8.9e-4
WATER_DENSITY_KG_PER_M3 = 997.0
WATER_PRANDTL = 6.1
#: Laminar / turbulent change-over of pipe flow (RECALLED: Incropera, section 8.1).
TRANSITION_REYNOLDS = 2300.0
#: Fully developed laminar Nusselt number, uniform heat flux (RECALLED: Incropera eq 8.53).
LAMINAR_NUSSELT = 4.36


@dataclass(frozen=True)
class InternalCooling:
    """Coolant in the active tip's lumen: its temperature, flow and the lumen's bore."""

    coolant_temperature_c: float = 22.0
    flow_ml_per_min: float = 20.0
    lumen_diameter_m: float = 0.8e-3

    def __post_init__(self) -> None:
        for name in ("coolant_temperature_c", "flow_ml_per_min", "lumen_diameter_m"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"{name}={value!r} must be finite")
        if not 0.0 <= self.coolant_temperature_c <= 45.0:
            raise ValueError(f"coolant_temperature_c={self.coolant_temperature_c:g} must be 0-45 C")
        if self.flow_ml_per_min < 0.0:
            raise ValueError(f"flow_ml_per_min={self.flow_ml_per_min:g} must be >= 0")
        if not 0.05e-3 <= self.lumen_diameter_m <= 3e-3:
            raise ValueError(f"lumen_diameter_m={self.lumen_diameter_m:g} must be 0.05-3 mm")

    @property
    def reynolds(self) -> float:
        """Re = 4 m_dot / (pi D mu) of the lumen flow."""
        mass_flow_kg_per_s = self.flow_ml_per_min * 1e-6 / 60.0 * WATER_DENSITY_KG_PER_M3
        return 4.0 * mass_flow_kg_per_s / (math.pi * self.lumen_diameter_m * WATER_VISCOSITY_PA_S)

    @property
    def nusselt(self) -> float:
        """Nu: laminar fully developed below Re 2300, Dittus-Boelter above; 0 without flow."""
        if self.flow_ml_per_min == 0.0:
            return 0.0
        if self.reynolds < TRANSITION_REYNOLDS:
            return LAMINAR_NUSSELT
        return float(0.023 * self.reynolds**0.8 * WATER_PRANDTL**0.4)

    @property
    def heat_transfer_coefficient_w_per_m2_k(self) -> float:
        """h = Nu k_w / D (W/(m^2 K))."""
        return self.nusselt * WATER_CONDUCTIVITY_W_PER_M_K / self.lumen_diameter_m

    def wall_conductance_w_per_k(self, tip_length_m: float) -> float:
        """h A_wall with A_wall = pi D L_tip (W/K)."""
        area = math.pi * self.lumen_diameter_m * tip_length_m
        return self.heat_transfer_coefficient_w_per_m2_k * area

    def sink_w_per_k(self, geometry: Geometry3D, tip_length_m: float) -> FloatArray:
        """S_P per cell (W/K): h A_wall spread over the active metal cells by volume."""
        active = np.asarray(geometry.active, dtype=bool)
        if not active.any():
            raise ValueError("no active metal cell for the coolant: refine the grid near the tip")
        volume = np.where(active, geometry.grid.volume_m3, 0.0)
        return np.asarray(self.wall_conductance_w_per_k(tip_length_m) * volume / volume.sum())


#: A Coolief-like 17 G probe's coolant: 20 mL/min of room-temperature water in a
#: 0.8 mm lumen (LOCAL assumption: neither figure is published; Re about 590, laminar,
#: h about 3,300 W/(m^2 K)).
COOLED_17G = InternalCooling()
