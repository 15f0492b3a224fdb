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

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Windows:
    """Every row's window: ``start`` (n,) and one ``width`` for all rows (see
    :func:`nearby_windows`), over the centreline's coordinates ``x``, ``y``, ``z``."""

    start: NDArray[np.intp]
    width: int
    x: FloatArray
    y: FloatArray
    z: FloatArray

    def index(self, rows: slice) -> NDArray[np.intp]:
        """The point indices of ``rows``, shape (rows, width)."""
        return self.start[rows, None] + np.arange(self.width)[None, :]

    def points(self, rows: slice) -> RowPoints:
        """The x, y, z of the points of ``rows`` (each (rows, width))."""
        index = self.index(rows)
        return self.x[index], self.y[index], self.z[index]

    def block_rows(self) -> int:
        """Rows per block so that a block's (rows, width) temporaries hold about
        :data:`BLOCK_ELEMENTS` numbers."""
        return max(MIN_BLOCK_ROWS, BLOCK_ELEMENTS // max(self.width, 1))


def nearby_windows(centreline_m: FloatArray, x_low_m: FloatArray, x_high_m: FloatArray) -> Windows:
    """Each row's window of centreline points whose x may lie in [x_low, x_high].

    ``centreline_m`` (m, 3) with x increasing along it; ``x_low_m``, ``x_high_m``
    (n,). Every row gets the same number W of consecutive points (the widest
    row's count), holding every point with ``x_low <= x <= x_high`` plus one more
    at each end where the nerve goes on; a window that would run past the nerve's
    end is shifted back inside. A point outside its row's window lies outside
    [x_low, x_high] (so a test that can only succeed within that range loses
    nothing), and so do the points of a window beyond its row's range. Where x
    does not increase (a nerve bent past 90 degrees) every point is in every window.
    """
    count = centreline_m.shape[0]
    x, y, z = (np.ascontiguousarray(centreline_m[:, k]) for k in range(3))
    rows = x_low_m.shape[0]
    if count < 3 or not bool(np.all(x[1:] > x[:-1])):
        return Windows(np.zeros(rows, dtype=np.intp), count, x, y, z)
    first = np.searchsorted(x, x_low_m, side="left") - 1  # one point before the range
    last = np.searchsorted(x, x_high_m, side="right")  # one point after it
    first = np.minimum(np.maximum(first, 0), count - 1)
    last = np.minimum(last, count - 1)
    width = int(np.max(last - first)) + 1 if rows else 1
    width = min(max(width, 1), count)
    start = np.minimum(first, count - width)
    return Windows(start, width, x, y, z)


def nearby_points(
    centreline_m: FloatArray, x_low_m: FloatArray, x_high_m: FloatArray
) -> tuple[RowPoints, NDArray[np.intp]]:
    """The points' x, y, z (each (n, W)) and indices (n, W) of :func:`nearby_windows`."""
    windows = nearby_windows(centreline_m, x_low_m, x_high_m)
    every = slice(None)
    return windows.points(every), windows.index(every)
