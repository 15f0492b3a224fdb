"""Array backends for the batched lesion engine: NumPy on the CPU, CuPy on a CUDA GPU.

The batched engine (:mod:`rhizo.physics.batch`) is written once against an
array module ``xp`` (NumPy's API, which CuPy mirrors) plus two operations that
differ per backend:

- moving arrays in and out (``asarray``, ``to_numpy``);
- solving with the heat matrix, which is the same for every lesion of a batch
  and every step: on the CPU a sparse LU factorisation (SuperLU) solves all
  right-hand sides at once; on the GPU the matrix (a few thousand unknowns) is
  inverted once, densely and in float64, and every solve is one matrix
  product, which is what a GPU does fastest. (CuPy's sparse LU factorises on
  the CPU and its triangular solves run serially; research notes P17.)

CuPy is an optional extra (``pip install 'rhizo[gpu]'``, which installs the
CUDA 13 wheel); asking for it without a usable GPU is a clear error, never a
silent fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from rhizo.physics.blocksolve import solver

BackendName = Literal["numpy", "cupy"]
BACKENDS: tuple[BackendName, ...] = ("numpy", "cupy")


@dataclass(frozen=True)
class Backend:
    """An array module and the backend-specific operations the batched engine needs."""

    name: BackendName
    xp: ModuleType
    asarray: Callable[[Any], Any]
    to_numpy: Callable[[Any], np.ndarray]
    #: factorise(matrix) -> solve(rhs of shape (n, batch)) -> (n, batch)
    factorise: Callable[[sp.csc_matrix], Callable[[Any], Any]]
    synchronize: Callable[[], None]


def _numpy_factorise(matrix: sp.csc_matrix) -> Callable[[Any], Any]:
    return solver(matrix)


def _numpy() -> Backend:
    return Backend(
        name="numpy",
        xp=np,
        asarray=np.asarray,
        to_numpy=np.asarray,
        factorise=_numpy_factorise,
        synchronize=lambda: None,
    )


def _cupy() -> Backend:
    try:
        import cupy  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        raise RuntimeError(
            "backend 'cupy' needs CuPy and a CUDA GPU: pip install 'rhizo[gpu]' "
            f"(import failed: {error})"
        ) from None
    try:
        devices = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as error:  # CUDA driver missing or broken: say so, do not fall back
        raise RuntimeError(f"backend 'cupy': no usable CUDA device ({error})") from None
    if devices < 1:
        raise RuntimeError("backend 'cupy': CuPy is installed but no CUDA device is visible")

    def factorise(matrix: sp.csc_matrix) -> Callable[[Any], Any]:
        inverse = cupy.linalg.inv(cupy.asarray(matrix.toarray()))
        return lambda rhs: inverse @ rhs

    return Backend(
        name="cupy",
        xp=cupy,
        asarray=cupy.asarray,
        to_numpy=cupy.asnumpy,
        factorise=factorise,
        synchronize=lambda: cupy.cuda.Device().synchronize(),
    )


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (``ValueError`` for an unknown name)."""
    if name == "numpy":
        return _numpy()
    if name == "cupy":
        return _cupy()
    raise ValueError(f"backend {name!r} is not known; allowed: {', '.join(BACKENDS)}")


def cupy_available() -> bool:
    """True when CuPy imports and sees a CUDA device (for skipping GPU tests)."""
    try:
        _cupy()
    except RuntimeError:
        return False
    return True
