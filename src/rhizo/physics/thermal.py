"""The implicit (backward Euler) Pennes bioheat step on the cannula geometry.

    C_P (T_P^{n+1} - T_P^n) / dt = - sum_faces G (T_P - T_Q)^{n+1}
                                   - G_far,P (T_P - T_far)^{n+1}
                                   - W_P (T_P - T_a)^{n+1} + Q_P

with C_P = rho c V_P (J/K), W_P = w_b rho_b c_b V_P (W/K) and Q_P the Joule heat
(W). k, rho c, W and dt do not depend on temperature, so the matrix is factorised
once and every step is one sparse triangular solve. The step is linear in Q, which
is what lets the generator controller predict the tip temperature.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import SuperLU

from rhizo.physics.blocksolve import symmetric_lu
from rhizo.physics.fv import CannulaGeometry, assemble, thermal_conductances

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class HeatStepper:
    """Backward-Euler heat steps with fixed properties; cells in ``clamped`` keep their value."""

    def __init__(
        self,
        geometry: CannulaGeometry,
        *,
        conductivity_w_per_m_k: FloatArray,
        volumetric_heat_capacity_j_per_m3_k: FloatArray,
        perfusion_w_per_m3_k: FloatArray,
        time_step_s: float,
        far_temperature_c: float,
        arterial_temperature_c: float,
        insulation_resistance_m2k_per_w: float = 0.0,
        metal_conducts: bool = True,
        clamped: BoolArray | None = None,
    ) -> None:
        grid = geometry.grid
        self.shape = grid.shape
        self.time_step_s = time_step_s
        conductances = thermal_conductances(
            geometry,
            conductivity_w_per_m_k,
            insulation_resistance_m2k_per_w=insulation_resistance_m2k_per_w,
            metal_conducts=metal_conducts,
        )
        removed = np.zeros(grid.shape, dtype=bool) if metal_conducts else geometry.metal.copy()
        self.clamped = removed if clamped is None else (clamped | removed)
        self.heat_capacity_j_per_k = volumetric_heat_capacity_j_per_m3_k * grid.volume_m3
        self.perfusion_w_per_k = perfusion_w_per_m3_k * grid.volume_m3
        self.far_conductance_w_per_k = conductances.dirichlet
        self.far_temperature_c = far_temperature_c
        self.arterial_temperature_c = arterial_temperature_c
        capacity_rate = self.heat_capacity_j_per_k / time_step_s
        matrix = assemble(conductances, capacity_rate + self.perfusion_w_per_k).tocsr()
        # Only free cells are unknowns; clamped cells enter through the rhs.
        self._free = np.flatnonzero(~self.clamped.ravel())
        self._clamped_index = np.flatnonzero(self.clamped.ravel())
        free_rows = matrix[self._free]
        self._coupling = free_rows[:, self._clamped_index].tocsr()
        #: The system matrix over the free cells (the batched engine factorises it per backend).
        self.free_matrix = free_rows[:, self._free].tocsc()
        self._capacity_rate = capacity_rate.ravel()[self._free]
        self._fixed = (
            conductances.dirichlet * far_temperature_c
            + self.perfusion_w_per_k * arterial_temperature_c
        ).ravel()[self._free]

    @cached_property
    def factor(self) -> SuperLU:
        """The free matrix's sparse LU factors (SuperLU, symmetric mode: it is SPD).

        Built on first use: the engine solves the full grid's matrix with
        :func:`rhizo.physics.blocksolve.solver` instead.
        """
        return symmetric_lu(self.free_matrix)

    def base_rhs(self, temperature_c: FloatArray) -> FloatArray:
        """Right-hand side (free cells) of a step with no heat source."""
        values = temperature_c.ravel()
        rhs = self._capacity_rate * values[self._free] + self._fixed
        if self._clamped_index.size:
            rhs = rhs - self._coupling @ values[self._clamped_index]
        return rhs

    def source_rhs(self, source_w: FloatArray) -> FloatArray:
        """Right-hand side (free cells) of a heat source given in W per cell."""
        return np.asarray(source_w.ravel()[self._free], dtype=np.float64)

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Free-cell temperatures for a right-hand side over the free cells."""
        return np.asarray(self.factor.solve(rhs), dtype=np.float64)

    def expand(self, free_values: FloatArray, clamped_from: FloatArray) -> FloatArray:
        """Full field from free-cell values, clamped cells copied from ``clamped_from``."""
        full = clamped_from.ravel().copy()
        full[self._free] = free_values
        return full.reshape(self.shape)

    @property
    def capacity_rate_free(self) -> FloatArray:
        """C_P / dt of the free cells (W/K)."""
        return self._capacity_rate

    @property
    def fixed_free(self) -> FloatArray:
        """The constant part of the right-hand side over the free cells (far and arterial)."""
        return self._fixed

    @property
    def free_index(self) -> NDArray[np.intp]:
        """Flat indices of the free (unknown) cells."""
        return self._free

    def step(self, temperature_c: FloatArray, source_w: FloatArray | None = None) -> FloatArray:
        """One backward-Euler step."""
        rhs = self.base_rhs(temperature_c)
        if source_w is not None:
            rhs = rhs + self.source_rhs(source_w)
        return self.expand(self.solve(rhs), temperature_c)

    def boundary_and_perfusion_loss_w(self, temperature_c: FloatArray) -> tuple[float, float]:
        """Heat leaving through the far boundary and carried off by perfusion (W)."""
        free = ~self.clamped
        boundary = np.sum(
            (self.far_conductance_w_per_k * (temperature_c - self.far_temperature_c))[free]
        )
        perfusion = np.sum(
            (self.perfusion_w_per_k * (temperature_c - self.arterial_temperature_c))[free]
        )
        return float(boundary), float(perfusion)
