"""The implicit Pennes bioheat step on the 3D grid (the 2D engine's HeatStepper in 3D).

    C_P (T_P^{n+1} - H_P) / dt_eff = - sum_faces G (T_P - T_Q)^{n+1}
                                     - G_far,P (T_P - T_far)^{n+1}
                                     - W_P (T_P - T_a)^{n+1} + Q_P + E_P

C_P = rho c V_P (J/K), W_P = w_b rho_b c_b V_P (W/K), Q_P Joule heat (W), H the BDF2
history value and E the explicit perfusion correction (both from the engine). Every
cell is an unknown (the metal conducts heat); k, rho c and W are fixed, so the matrix
of a step length is built once and its AMG hierarchy kept.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.amg import SpdSolver, jacobi, single_blas_thread
from rhizo.physics.three_d.fv3d import Geometry3D, assemble, thermal_conductances

FloatArray = NDArray[np.float64]

#: "amg" or "jacobi" (env RHIZO_HEAT3D_PRECONDITIONER overrides, for measuring).
HEAT_PRECONDITIONER = "amg"


class HeatStepper3D:
    """Heat matrices per effective step length, with their CG solvers."""

    def __init__(
        self,
        geometry: Geometry3D,
        *,
        conductivity_w_per_m_k: FloatArray,
        volumetric_heat_capacity_j_per_m3_k: FloatArray,
        perfusion_w_per_m3_k: FloatArray,
        far_temperature_c: float,
        arterial_temperature_c: float,
        insulation_resistance_m2k_per_w: float,
    ) -> None:
        volume = geometry.grid.volume_m3
        self.conductances = thermal_conductances(
            geometry,
            conductivity_w_per_m_k,
            insulation_resistance_m2k_per_w=insulation_resistance_m2k_per_w,
        )
        self.heat_capacity_j_per_k = np.asarray(volumetric_heat_capacity_j_per_m3_k * volume)
        self.perfusion_w_per_k = np.asarray(perfusion_w_per_m3_k * volume)
        self.far_w_per_k = self.conductances.dirichlet
        self.far_temperature_c = far_temperature_c
        self.arterial_temperature_c = arterial_temperature_c
        #: The constant part of every step's right-hand side (W): far and arterial terms.
        self.fixed_w = (
            self.far_w_per_k * far_temperature_c + self.perfusion_w_per_k * arterial_temperature_c
        )
        self._solvers: dict[float, SpdSolver] = {}

    def solver(self, effective_dt_s: float) -> SpdSolver:
        """The CG solver of the step matrix (C/dt + W + conduction) for a step length."""
        key = round(effective_dt_s, 12)
        if key not in self._solvers:
            matrix = assemble(
                self.conductances,
                self.heat_capacity_j_per_k / effective_dt_s + self.perfusion_w_per_k,
            )
            single_blas_thread()
            if os.environ.get("RHIZO_HEAT3D_PRECONDITIONER", HEAT_PRECONDITIONER) == "jacobi":
                self._solvers[key] = SpdSolver(matrix, precondition=jacobi(matrix))
            else:
                self._solvers[key] = SpdSolver(matrix)
        return self._solvers[key]

    @property
    def iterations(self) -> int:
        """CG iterations of all heat solves so far."""
        return sum(s.iterations for s in self._solvers.values())
