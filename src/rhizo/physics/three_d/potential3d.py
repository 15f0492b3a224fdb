"""The quasi-static potential div(sigma grad V) = 0 in 3D, per volt on the electrode.

Unknowns are the non-metal cells; the active tip is at 1 V, the far boundary at
0 V (grounded) or the Robin condition of :mod:`rhizo.physics.three_d.fv3d`. The
system is SPD and solved by AMG-preconditioned CG (:mod:`rhizo.physics.three_d.amg`);
the hierarchy of the first sigma preconditions later ones. From V:

    I = sum_cells G_e,P (1 - V_P)      current per volt = conductance (S), R = 1/I,
    q_P = face_power(...)              Joule heat per V^2 (W/V^2),
    sum_P q_P + sum_P G_far,P V_P^2 = I   (energy balance, exact for the solved system).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.amg import SpdSolver
from rhizo.physics.three_d.fv3d import (
    ElectricCoefficients3D,
    FarBoundary,
    Geometry3D,
    assemble,
    face_power,
)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Potential3D:
    """Unit-voltage solution: potential (metal at 1), Joule heat per V^2, conductance."""

    potential: FloatArray
    heat_per_v2: FloatArray
    conductance_s: float
    far_loss_per_v2: float
    iterations: int

    @property
    def resistance_ohm(self) -> float:
        """R = 1 / I at 1 V."""
        return 1.0 / self.conductance_s


class PotentialSolver3D:
    """Solves the potential for any sigma field on one geometry."""

    def __init__(self, geometry: Geometry3D, far_boundary: FarBoundary = "infinite") -> None:
        self.geometry = geometry
        self.coefficients = ElectricCoefficients3D.build(geometry, far_boundary)
        self.free = np.flatnonzero(geometry.tissue.ravel())
        self._solver: SpdSolver | None = None

    def solve(self, sigma: FloatArray, guess: FloatArray | None = None) -> Potential3D:
        """The potential with sigma per cell (S/m); metal cells' sigma is ignored."""
        if not np.all(np.isfinite(sigma)) or np.any(sigma[self.geometry.tissue] <= 0):
            raise ValueError("sigma must be finite and > 0 in every tissue cell")
        conductances, electrode = self.coefficients.evaluate(sigma)
        matrix = assemble(conductances, electrode)[self.free][:, self.free].tocsr()
        if self._solver is None:
            self._solver = SpdSolver(matrix)
        else:
            self._solver = SpdSolver(matrix, precondition=self._solver.precondition)
        rhs = electrode.ravel()[self.free]
        start = None if guess is None else guess.ravel()[self.free]
        values = self._solver.solve(rhs, start)
        potential = np.ones(self.geometry.grid.size)
        potential[self.free] = values
        potential = potential.reshape(self.geometry.grid.shape)
        heat = face_power(conductances, electrode, potential)
        heat = np.where(self.geometry.metal, 0.0, heat)
        current = float(np.sum(electrode * (1.0 - potential)))
        far_loss = float(np.sum(conductances.dirichlet * potential**2))
        return Potential3D(
            potential=potential,
            heat_per_v2=heat,
            conductance_s=current,
            far_loss_per_v2=far_loss,
            iterations=self._solver.iterations,
        )
