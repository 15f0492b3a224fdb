"""The nerve points near each pose: a window of consecutive centreline points.

The Monte Carlo tests every pose against the nerve's centreline (hundreds of
points), but a cannula or a lesion can only reach the few millimetres of nerve
beside it. A test that can only succeed at points whose x lies in a known range
``[x_low, x_high]`` (x along the nerve) loses nothing when it is run on those
points alone; :func:`nearby_points` picks them, the same count for every pose so
the poses stay one NumPy array (used by :mod:`rhizo.planning.tipdepth` and
:mod:`rhizo.planning.capture`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Numbers per (rows, W) temporary in a block: 8192 x 8 B = 64 KiB, under glibc's
#: 128 KiB mmap and trim thresholds and inside the CPU's L2 cache. Larger blocks
#: page-fault on every temporary (measured: 2048-row blocks cost 1.8 s of system
#: time in ``rhizo recommend``, 64-row ones 0.2 s).
BLOCK_ELEMENTS = 8192
#: Fewest rows per block (bounds the per-block Python overhead).
MIN_BLOCK_ROWS = 16


#: A pose's nerve points, one (n, W) array per coordinate: x, y, z.
RowPoints = tuple[FloatArray, FloatArray, FloatArray]


def nearby_points(
    centreline_m: FloatArray, x_low_m: FloatArray, x_high_m: FloatArray
) -> tuple[RowPoints, NDArray[np.intp]]:
    """Each row's window of centreline points whose x may lie in [x_low, x_high].

    ``centreline_m`` (m, 3) with x increasing along it; ``x_low_m``, ``x_high_m``
    (n,). Returns the points' x, y, z (each (n, W)) and their indices (n, W): for every row the
    same number W of consecutive points (the widest row's count), holding every
    point with ``x_low <= x <= x_high`` plus one more at each end where the nerve
    goes on; a window that would run past the nerve's end is shifted back inside.
    A point outside its row's window lies outside [x_low, x_high] (so a test that
    can only succeed within that range loses nothing), and the two end points of
    a window that does not reach the nerve's end lie outside it too. Where x does
    not increase (a nerve bent past 90 degrees) every point is returned.
    """
    count = centreline_m.shape[0]
    x = centreline_m[:, 0]
    rows = x_low_m.shape[0]
    if count < 3 or not bool(np.all(np.diff(x) > 0.0)):
        index = np.broadcast_to(np.arange(count), (rows, count))
        return _gather(centreline_m, index), index
    first = np.searchsorted(x, x_low_m, side="left") - 1  # one point before the range
    last = np.searchsorted(x, x_high_m, side="right")  # one point after it
    first = np.clip(first, 0, count - 1)
    last = np.clip(last, 0, count - 1)
    width = int(np.max(last - first)) + 1 if rows else 1
    width = min(max(width, 1), count)
    start = np.clip(first, 0, count - width)
    index = start[:, None] + np.arange(width)[None, :]
    return _gather(centreline_m, index), index


def block_rows(centreline_m: FloatArray, x_low_m: FloatArray, x_high_m: FloatArray) -> int:
    """Rows per block so that a block's (rows, W) temporaries hold about
    :data:`BLOCK_ELEMENTS` numbers (W: the widest window of :func:`nearby_points`)."""
    spacing = float(np.max(np.abs(np.diff(centreline_m[:, 0])))) if len(centreline_m) > 1 else 1.0
    span = float(np.max(x_high_m - x_low_m)) if x_low_m.size else 0.0
    width = min(centreline_m.shape[0], int(span / spacing) + 3) if spacing > 0 else 1
    return max(MIN_BLOCK_ROWS, BLOCK_ELEMENTS // max(width, 1))


def _gather(centreline_m: FloatArray, index: NDArray[np.intp]) -> RowPoints:
    """The x, y, z of the points ``index`` (n, W), one contiguous take per coordinate."""
    x, y, z = (np.ascontiguousarray(centreline_m[:, k]) for k in range(3))
    return x[index], y[index], z[index]
