"""The unit-voltage potential of a batch of conductivity fields, by preconditioned CG.

    div(sigma grad V) = 0 in tissue,  V = 1 on the active metal,  far boundary as in fv

For each lesion of a batch (axis 0) the five-point finite-volume operator A(sigma)
of :class:`rhizo.physics.fv.ElectricCoefficients` is applied matrix-free, metal
cells carrying identity rows (they decouple and stay at 0; the electrode enters
through the right-hand side, each cell's conductance to it). The system is solved
by conjugate gradients, warm-started from the lesion's last potential and
preconditioned with the exact inverse of the operator at the starting sigma,
symmetrically scaled by the local conductivity ratio s = sigma / sigma_start:

    M^-1 = S^-1/2 A(sigma_start)^-1 S^-1/2,   S = diag(s)

which is exact when s is uniform and close to it while s varies slowly over the
lesion (sigma(T) changes smoothly with temperature), so a re-solve takes a few
iterations. Stopping rule, per lesion (which then stops moving): ||r|| <= CG_RTOL ||b||
and the energy-norm
decrease of the last update, alpha_k (r_k . z_k) = ||e_k||_A^2 - ||e_{k+1}||_A^2, at
most :data:`CG_ENERGY_RTOL` times the energy b . x (the conductance at 1 V). The
energy norm of the error is the power of the error potential, so the rule means the
same on any grid, unlike a residual rule relative to ||b||.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rhizo.physics.fv import Conductances, ElectricCoefficients, face_power

#: And the residual rule ||r|| <= CG_RTOL ||b|| must hold too (a start that meets it is
#: the solution). 1e-5 lets the energy rule decide on the default grid; a reference
#: run tightens it (1e-8 in the benchmarks' converged reference).
CG_RTOL = 1e-5
#: Conjugate-gradient stopping rule: the last update's energy-norm decrease at most
#: this fraction of the energy. 1e-6, by measured error (80 C / 90 s, against the
#: converged CG): width -1.6e-4 (18 G / 10 mm) and +1.2e-4 (22 G / 15 mm) relative on
#: the default grid, +2.6e-5 and +3.0e-5 on the 4x refined one, with 15 CG iterations
#: a run instead of 25 (the former residual rule at 1e-7). That rule was relative to
#: ||b|| and so loosened as the grid was refined: at 1e-5 it moved a 4x-refined
#: width by +0.13 %.
CG_ENERGY_RTOL = 1e-6
CG_MAX_ITERATIONS = 500
#: Residuals are checked (a device-to-host sync on a GPU) every this many iterations.
CG_CHECK_EVERY = 2
#: On the CPU a batch's potentials are solved this many lesions at a time. Every
#: lesion's CG is independent (its own stopping rule), so the split changes nothing
#: but speed: 16 lesions' (16, 60, 102) work arrays (0.8 MB) stay in a core's cache,
#: 64 do not, and 16 columns still take the block preconditioner
#: (:data:`rhizo.physics.blocksolve.BLOCK_MIN_COLUMNS`). One re-solve of 64 lesions
#: took 84-101 ms in chunks of 16 against 121-155 ms at once (3 interleaved rounds,
#: CPU clock, loaded 2-core machine); 8 or 32 at a time were slower than 16.
CPU_CHUNK_LESIONS = 16


@dataclass(frozen=True)
class PotentialSolution:
    """Per lesion: the potential at 1 V, its Joule heat per cell (W/V^2), conductance (S)."""

    potential: Any
    heat_per_v2: Any
    conductance_s: Any
    iterations: int


def operator_diagonal(far: Conductances, electrode: Any, metal: Any) -> Any:
    """Diagonal of the five-point operator (identity rows in metal cells)."""
    diagonal = far.dirichlet + electrode + metal
    diagonal[..., :-1, :] += far.radial
    diagonal[..., 1:, :] += far.radial
    diagonal[..., :, :-1] += far.axial
    diagonal[..., :, 1:] += far.axial
    return diagonal


def apply_operator(far: Conductances, diagonal: Any, u: Any) -> Any:
    """The five-point operator: diagonal u minus the face couplings, batched on axis 0."""
    out = diagonal * u
    out[..., :-1, :] -= far.radial * u[..., 1:, :]
    out[..., 1:, :] -= far.radial * u[..., :-1, :]
    out[..., :, :-1] -= far.axial * u[..., :, 1:]
    out[..., :, 1:] -= far.axial * u[..., :, :-1]
    return out


class PotentialSolver:
    """Re-solves the potential for changed sigma fields (any array backend)."""

    def __init__(
        self,
        *,
        xp: Any,
        coefficients: ElectricCoefficients,
        metal: Any,
        sigma_start: Any,
        start_solve: Callable[[Any], Any],
        check_every: int = CG_CHECK_EVERY,
        chunk_lesions: int | None = None,
    ) -> None:
        self.xp = xp
        #: Lesions per CG run (None: all at once; the default on NumPy is CPU_CHUNK_LESIONS).
        self.chunk_lesions = (
            chunk_lesions
            if chunk_lesions is not None
            else (CPU_CHUNK_LESIONS if getattr(xp, "__name__", "") == "numpy" else None)
        )
        self.coefficients = coefficients
        self.metal = metal  # 1.0 in metal cells, 0.0 in tissue
        self.sigma_start = sigma_start
        self.start_solve = start_solve  # A(sigma_start)^-1 on (cells, k) right-hand sides
        self.check_every = check_every

    def solve(self, sigma: Any, start: Any) -> PotentialSolution:
        """Potentials for sigma of shape (k, n_r, n_z), starting from ``start``.

        On the CPU the lesions are solved :attr:`chunk_lesions` at a time (results
        equal: each lesion's CG is its own); ``iterations`` is the most any took.
        """
        count, chunk = sigma.shape[0], self.chunk_lesions
        if chunk is None or count <= chunk:
            return self._solve(sigma, start)
        parts = [
            self._solve(sigma[first : first + chunk], start[first : first + chunk])
            for first in range(0, count, chunk)
        ]
        xp = self.xp
        return PotentialSolution(
            potential=xp.concatenate([p.potential for p in parts]),
            heat_per_v2=xp.concatenate([p.heat_per_v2 for p in parts]),
            conductance_s=xp.concatenate([p.conductance_s for p in parts]),
            iterations=max(p.iterations for p in parts),
        )

    def _solve(self, sigma: Any, start: Any) -> PotentialSolution:
        xp = self.xp
        far, electrode = self.coefficients.evaluate(sigma)
        diagonal = operator_diagonal(far, electrode, self.metal)
        inverse_root = 1.0 / xp.sqrt(sigma / self.sigma_start)
        count, shape = sigma.shape[0], sigma.shape[1:]

        def precondition(residual: Any) -> Any:
            scaled = (residual * inverse_root).reshape(count, -1).T
            return self.start_solve(scaled).T.reshape(count, *shape) * inverse_root

        potential, iterations = _pcg(
            xp, far, diagonal, electrode, start, precondition, self.check_every
        )
        return PotentialSolution(
            potential=potential,
            heat_per_v2=face_power(far, electrode, potential),
            conductance_s=(electrode * (1.0 - potential)).sum(axis=(1, 2)),
            iterations=iterations,
        )


def _pcg(
    xp: Any,
    far: Conductances,
    diagonal: Any,
    rhs: Any,
    start: Any,
    precondition: Callable[[Any], Any],
    check_every: int,
) -> tuple[Any, int]:
    """Preconditioned CG per lesion (independent systems stacked on axis 0).

    A lesion stops moving once its own residual meets the rule (its step length is
    set to 0), so a lesion takes the same iterations in any batch as alone.
    """

    def dot(a: Any, b: Any) -> Any:
        return (a * b).sum(axis=(1, 2))

    x = start.copy()
    residual = rhs - apply_operator(far, diagonal, x)
    target = (CG_RTOL**2) * dot(rhs, rhs)
    running = dot(residual, residual) > target
    if not bool(xp.any(running)):
        return x, 0
    z = precondition(residual)
    direction = z.copy()
    rz = dot(residual, z)
    for iteration in range(1, CG_MAX_ITERATIONS + 1):
        applied = apply_operator(far, diagonal, direction)
        curvature = dot(direction, applied)
        moving = running & (curvature > 0)
        alpha = xp.where(moving, rz / xp.where(moving, curvature, 1.0), 0.0)
        x += alpha[:, None, None] * direction
        residual -= alpha[:, None, None] * applied
        running = running & (
            (alpha * rz > CG_ENERGY_RTOL * dot(rhs, x)) | (dot(residual, residual) > target)
        )
        if iteration % check_every == 0 and not bool(xp.any(running)):
            return x, iteration
        z = precondition(residual)
        rz_new = dot(residual, z)
        beta = xp.where(rz > 0, rz_new / xp.where(rz > 0, rz, 1.0), 0.0)
        direction = z + beta[:, None, None] * direction
        rz = rz_new
    worst = float(xp.max(xp.sqrt(dot(residual, residual) / xp.maximum(dot(rhs, rhs), 1e-300))))
    raise RuntimeError(
        f"potential CG did not converge in {CG_MAX_ITERATIONS} iterations "
        f"(worst relative residual {worst:.2e})"
    )
