"""The quasi-static potential div(sigma grad V) = 0 in 3D, per volt on the electrode.

Unknowns are the non-metal cells; the active tip is at 1 V, the far boundary at
0 V (grounded) or the Robin condition of :mod:`rhizo.physics.three_d.fv3d`. The
system is SPD and solved by AMG-preconditioned CG (:mod:`rhizo.physics.three_d.amg`);
the hierarchy of the first sigma preconditions later ones. From V:

    I = sum_cells G_e,P (1 - V_P)      current per volt = conductance (S), R = 1/I,
    q_P = face_power(...)              Joule heat per V^2 (W/V^2),
    sum_P q_P + sum_P G_far,P V_P^2 = I   (energy balance, exact for the solved system).

Bipolar (a return cannula at 0 V): the return pole's faces add G_r to the diagonal
and G_r V_P^2 to the heat; the current leaving the return tips equals I. With
"infinite" far faces the far field is a dipole's about a floating V_inf: by linearity
V = u_1 + c u_2, u_1 with the poles at 1 and 0 V and the far reference at 0, u_2 with
both poles at 0 and the far reference at 1 (same matrix), and c chosen so that no net
current reaches infinity, sum_P G_far,P (V_P - c) = 0:

    c = sum G_far u_1 / sum G_far (1 - u_2),    far loss = sum G_far (V_P - c)^2.
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
    #: Current into each cannula's bare metal per volt (A/V), in ``geometry.electrodes``
    #: order: positive at active tips, negative at return tips (empty for one cannula).
    cannula_current_per_v: tuple[float, ...] = ()
    #: The floating far potential per volt (bipolar "infinite" far faces), else 0.
    far_potential_per_v: float = 0.0

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
        self.floating = geometry.bipolar and far_boundary == "infinite"
        self._unit: FloatArray | None = None  # u_1 and u_2 of the last floating solve
        self._far_response: FloatArray | None = None

    def solve(self, sigma: FloatArray, guess: FloatArray | None = None) -> Potential3D:
        """The potential with sigma per cell (S/m); metal cells' sigma is ignored."""
        if not np.all(np.isfinite(sigma)) or np.any(sigma[self.geometry.tissue] <= 0):
            raise ValueError("sigma must be finite and > 0 in every tissue cell")
        conductances, electrode = self.coefficients.evaluate(sigma)
        return_m = self.coefficients.return_m
        returning = None if return_m is None else return_m * sigma
        diagonal = electrode if returning is None else electrode + returning
        matrix = assemble(conductances, diagonal)[self.free][:, self.free].tocsr()
        if self._solver is None:
            self._solver = SpdSolver(matrix)
        else:
            self._solver = SpdSolver(matrix, precondition=self._solver.precondition)
        rhs = electrode.ravel()[self.free]
        far_reference = 0.0
        if self.floating:
            far = conductances.dirichlet.ravel()[self.free]
            unit = self._solver.solve(rhs, self._unit)
            response = self._solver.solve(far, self._far_response)
            self._unit, self._far_response = unit, response
            far_reference = float(far @ unit) / float(far @ (1.0 - response))
            values = unit + far_reference * response
        else:
            start = None if guess is None else guess.ravel()[self.free]
            values = self._solver.solve(rhs, start)
        potential = np.ones(self.geometry.grid.size)
        potential[self.free] = values
        potential = potential.reshape(self.geometry.grid.shape)
        if self.geometry.returning is not None:
            potential[self.geometry.returning] = 0.0
        heat = face_power(conductances, electrode, potential, returning)
        heat = np.where(self.geometry.metal, 0.0, heat)
        current = float(np.sum(electrode * (1.0 - potential)))
        far_loss = float(np.sum(conductances.dirichlet * (potential - far_reference) ** 2))
        per_cannula = tuple(
            float(np.sum(share * sigma * ((1.0 if c.role == "active" else 0.0) - potential)))
            for c, share in zip(self.geometry.cannulae, self.coefficients.cannula_m, strict=True)
        )
        return Potential3D(
            potential=potential,
            heat_per_v2=heat,
            conductance_s=current,
            far_loss_per_v2=far_loss,
            iterations=self._solver.iterations,
            cannula_current_per_v=per_cannula,
            far_potential_per_v=far_reference,
        )
