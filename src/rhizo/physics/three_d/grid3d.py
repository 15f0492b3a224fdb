"""A structured Cartesian grid, graded geometrically away from a fine box.

Cells are uniform (``cell_m``) inside the fine box ``[fine_low, fine_high]`` of each
axis and grow by ``growth`` per cell outward to the domain's faces; the last cell on
each side is stretched or merged so it ends exactly on the face. Cell-centred finite
volumes live on it (:mod:`rhizo.physics.three_d.fv3d`); every array is indexed
[i_x, j_y, k_z] in C order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def graded_faces(
    *,
    low_m: float,
    high_m: float,
    fine_low_m: float,
    fine_high_m: float,
    cell_m: float,
    growth: float,
) -> FloatArray:
    """Face coordinates (m) of one axis: uniform in the fine zone, geometric outside.

    Raises ``ValueError`` naming the argument when the zone or the sizes are inconsistent.
    """
    if not low_m <= fine_low_m < fine_high_m <= high_m:
        raise ValueError(
            f"fine zone [{fine_low_m:g}, {fine_high_m:g}] m must lie inside "
            f"[{low_m:g}, {high_m:g}] m"
        )
    if cell_m <= 0:
        raise ValueError(f"cell_m={cell_m:g} must be > 0")
    if growth < 1.0:
        raise ValueError(f"growth={growth:g} must be >= 1")
    count = max(1, round((fine_high_m - fine_low_m) / cell_m))
    fine = np.linspace(fine_low_m, fine_high_m, count + 1)
    size = (fine_high_m - fine_low_m) / count

    def outward(span: float) -> list[float]:
        widths: list[float] = []
        width, total = size, 0.0
        while total < span - 1e-12 * max(span, 1.0):
            width = width * growth
            widths.append(width)
            total += width
        if widths:
            excess = total - span
            widths[-1] -= excess
            if len(widths) > 1 and widths[-1] < 0.5 * widths[-2]:
                last = widths.pop()
                widths[-1] += last
        return widths

    above = fine_high_m + np.cumsum(outward(high_m - fine_high_m))
    below = fine_low_m - np.cumsum(outward(fine_low_m - low_m))
    faces = np.concatenate((below[::-1], fine, above))
    faces[0], faces[-1] = low_m, high_m
    return np.asarray(faces, dtype=np.float64)


@dataclass(frozen=True)
class CartesianGrid:
    """Faces of the three axes (m); cells are the boxes between consecutive faces."""

    x_faces_m: FloatArray
    y_faces_m: FloatArray
    z_faces_m: FloatArray

    @property
    def faces(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Face coordinates per axis."""
        return self.x_faces_m, self.y_faces_m, self.z_faces_m

    @property
    def shape(self) -> tuple[int, int, int]:
        """Cells per axis."""
        return (self.x_faces_m.size - 1, self.y_faces_m.size - 1, self.z_faces_m.size - 1)

    @property
    def size(self) -> int:
        """Number of cells."""
        nx, ny, nz = self.shape
        return nx * ny * nz

    def widths_m(self, axis: int) -> FloatArray:
        """Cell widths along one axis (m)."""
        return np.diff(self.faces[axis])

    def centres_m(self, axis: int) -> FloatArray:
        """Cell-centre coordinates along one axis (m)."""
        faces = self.faces[axis]
        return 0.5 * (faces[:-1] + faces[1:])

    @cached_property
    def mesh_m(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Cell-centre coordinates as three arrays of the grid's shape."""
        x, y, z = np.meshgrid(
            self.centres_m(0), self.centres_m(1), self.centres_m(2), indexing="ij"
        )
        return x, y, z

    @cached_property
    def volume_m3(self) -> FloatArray:
        """Cell volumes dx dy dz (m^3)."""
        dx, dy, dz = (self.widths_m(a) for a in range(3))
        return np.asarray(dx[:, None, None] * dy[None, :, None] * dz[None, None, :])

    def face_area_m2(self, axis: int) -> FloatArray:
        """Area of the faces normal to ``axis``, broadcastable to the cell shape (m^2)."""
        dx, dy, dz = (self.widths_m(a) for a in range(3))
        if axis == 0:
            return np.asarray(np.ones(1)[:, None, None] * dy[None, :, None] * dz[None, None, :])
        if axis == 1:
            return np.asarray(dx[:, None, None] * np.ones(1)[None, :, None] * dz[None, None, :])
        return np.asarray(dx[:, None, None] * dy[None, :, None] * np.ones(1)[None, None, :])
