"""Symmetric positive definite solves: CG preconditioned by smoothed-aggregation AMG.

pyamg's smoothed aggregation (Vanek, Mandel & Brezina 1996) builds the hierarchy
once per matrix; :class:`SpdSolver` keeps it and runs SciPy's CG with one V-cycle as
preconditioner, so a slightly changed matrix (sigma(T) drifting) can reuse an old
hierarchy. Without pyamg it falls back to Jacobi-preconditioned CG and says so once.
"""

from __future__ import annotations

import ctypes
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Relative residual at which CG stops (|r| <= RTOL |b|).
RTOL = 1e-10

try:  # pragma: no cover - exercised where pyamg is missing
    import pyamg
    from pyamg import amg_core

    HAVE_PYAMG = True
except ImportError:  # pragma: no cover
    pyamg = None
    amg_core = None
    HAVE_PYAMG = False


_LIMITED = False


def single_blas_thread() -> int:
    """Run the loaded OpenBLAS libraries on one thread; returns how many were set.

    CG's vectors (1e4-1e6 values) gain nothing from BLAS threads, and on a loaded
    machine threaded dot products are much slower: one potential solve of 27,000
    unknowns took 2.9 s with OpenBLAS's default threads and 0.42 s with one, its AMG
    setup 7.6 s and 0.50 s (2 cores, load average 13, 2026-12-01). Done once per
    process (Linux: the libraries are found in /proc/self/maps); elsewhere set
    OPENBLAS_NUM_THREADS=1.
    """
    global _LIMITED
    if _LIMITED or not sys.platform.startswith("linux"):
        return 0
    _LIMITED = True
    count = 0
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return 0
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in (
            "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_",
            "openblas_set_num_threads",
        ):
            setter = getattr(library, name, None)
            if setter is not None:
                setter(1)
                count += 1
                break
    return count


def jacobi(matrix: sp.csr_matrix) -> Any:
    """The diagonal inverse as a linear operator (Jacobi preconditioning)."""
    inverse = 1.0 / matrix.diagonal()
    return spla.LinearOperator(matrix.shape, matvec=lambda v: inverse * v)


#: Precision of the V-cycle's arrays: float32 halves the memory traffic of the
#: smoothing sweeps; CG itself (matrix, vectors, residual) stays float64, so the
#: answer is exact to :data:`RTOL` either way (the preconditioner need not be exact).
CYCLE_DTYPE = np.float32


class VCycle:
    """One symmetric AMG V-cycle, x = M b, on a pyamg hierarchy's levels.

    pyamg's own preconditioner (``aspreconditioner``) calls ``solve``, which forms
    the residual norm before and after each cycle (two extra fine-level products)
    and keeps the coarse levels in BSR with 1 x 1 blocks, a slow storage for them.
    Here every level is CSR in :data:`CYCLE_DTYPE`; from x = 0: forward
    Gauss-Seidel, r = b - A x, the coarse correction x += P V(R r), backward
    Gauss-Seidel, and the coarsest level by its dense pseudo-inverse. Forward
    before and backward after keep M symmetric, as CG needs.
    """

    def __init__(self, hierarchy: Any, dtype: type = CYCLE_DTYPE) -> None:
        self.dtype = np.dtype(dtype)
        levels = hierarchy.levels
        self.matrices = [sp.csr_matrix(level.A, dtype=self.dtype) for level in levels]
        self.restrict = [sp.csr_matrix(level.R, dtype=self.dtype) for level in levels[:-1]]
        self.prolong = [sp.csr_matrix(level.P, dtype=self.dtype) for level in levels[:-1]]
        coarsest = np.asarray(self.matrices[-1].toarray(), dtype=np.float64)
        self.coarse_inverse = np.linalg.pinv(coarsest).astype(self.dtype)
        size = self.matrices[0].shape[0]
        self.shape = (size, size)
        #: The diagonal of the matrix the hierarchy was built for (float64).
        self.diagonal = np.asarray(levels[0].A.diagonal(), dtype=np.float64)

    def _cycle(self, level: int, rhs: NDArray[Any]) -> NDArray[Any]:
        if level == len(self.matrices) - 1:
            return np.asarray(self.coarse_inverse @ rhs)
        matrix = self.matrices[level]
        rows = matrix.shape[0]
        x = np.zeros(rows, dtype=self.dtype)
        amg_core.gauss_seidel(matrix.indptr, matrix.indices, matrix.data, x, rhs, 0, rows, 1)
        residual = rhs - matrix @ x
        x += self.prolong[level] @ self._cycle(level + 1, self.restrict[level] @ residual)
        amg_core.gauss_seidel(matrix.indptr, matrix.indices, matrix.data, x, rhs, rows - 1, -1, -1)
        return x

    def __call__(self, rhs: FloatArray) -> FloatArray:
        """M rhs, as float64."""
        cycled = self._cycle(0, np.ascontiguousarray(rhs, dtype=self.dtype))
        return np.asarray(cycled, dtype=np.float64)

    def operator(self) -> Any:
        """The cycle as a SciPy linear operator (for CG's ``M``)."""
        out: Any = spla.LinearOperator(self.shape, matvec=self, dtype=np.float64)
        out.vcycle = self
        return out

    def for_matrix(self, matrix: sp.csr_matrix) -> Any:
        """This cycle as a preconditioner of a nearby matrix with another diagonal.

        With D_0 and D_1 the two diagonals and S = (D_0 / D_1)^(1/2), A_1 is close
        to S^-1 A_0 S^-1 when the matrices differ by a smooth scaling of their
        coefficients (sigma(T) drifting, C/dt changing), so M_1 = S M_0 S: still
        symmetric positive definite, and exact for A_1 = S^-1 A_0 S^-1.
        """
        new = np.asarray(matrix.diagonal(), dtype=np.float64)
        if new.shape != self.diagonal.shape:
            raise ValueError(f"matrix of size {new.size} for a cycle of size {self.diagonal.size}")
        if np.array_equal(new, self.diagonal):
            return self.operator()
        scale = np.sqrt(self.diagonal / new)
        out: Any = spla.LinearOperator(
            self.shape, matvec=lambda b: scale * self(scale * b), dtype=np.float64
        )
        out.vcycle = self
        return out


def hierarchy(matrix: sp.csr_matrix) -> Any:
    """pyamg's smoothed-aggregation hierarchy of an SPD matrix (no smoothers attached)."""
    return pyamg.smoothed_aggregation_solver(
        matrix, symmetry="symmetric", presmoother=None, postsmoother=None
    )


def preconditioner(matrix: sp.csr_matrix) -> Any:
    """One AMG V-cycle (:class:`VCycle`) as a linear operator, or the Jacobi inverse."""
    single_blas_thread()
    if HAVE_PYAMG:
        # Forward Gauss-Seidel before and backward after the coarse correction keep the
        # V-cycle symmetric (as CG needs) at one sweep each instead of pyamg's default
        # symmetric sweeps: 0.25 mm potential, 45 iterations in 2.8 s CPU against 34 in 4.1 s.
        return VCycle(hierarchy(matrix)).operator()
    warnings.warn(
        "pyamg is not installed: the 3D engine falls back to Jacobi-preconditioned CG "
        "(slower by about tenfold); pip install 'pyamg>=5'",
        RuntimeWarning,
        stacklevel=2,
    )
    return jacobi(matrix)


@dataclass
class SpdSolver:
    """CG on an SPD matrix with a kept preconditioner; counts iterations."""

    matrix: sp.csr_matrix
    precondition: Any = None
    rtol: float = RTOL
    iterations: int = 0
    solves: int = 0
    _history: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.precondition is None:
            self.precondition = preconditioner(self.matrix)
        elif getattr(self.precondition, "vcycle", None) is not None:
            # Another matrix's V-cycle: rescale it to this matrix's diagonal.
            self.precondition = self.precondition.vcycle.for_matrix(self.matrix)

    def solve(self, rhs: FloatArray, guess: FloatArray | None = None) -> FloatArray:
        """x with A x = rhs to ``rtol`` (default :data:`RTOL`); ``RuntimeError`` if CG fails."""
        count = [0]

        def tick(_: Any) -> None:
            count[0] += 1

        solution, info = spla.cg(
            self.matrix,
            rhs,
            x0=guess,
            rtol=self.rtol,
            atol=0.0,
            M=self.precondition,
            callback=tick,
            maxiter=2000,
        )
        if info != 0:
            raise RuntimeError(f"CG did not converge (info={info}) on {rhs.size} unknowns")
        self.iterations += count[0]
        self.solves += 1
        return np.asarray(solution, dtype=np.float64)
