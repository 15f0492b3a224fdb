"""A graded, structured axisymmetric (r, z) finite-volume grid.

Cells are annuli: cell (i, j) spans r_faces[i]..r_faces[i+1] and z_faces[j]..z_faces[j+1];
its volume is pi (r_{i+1}^2 - r_i^2) dz_j, a radial face has area 2 pi r dz and an
axial face pi (r_{i+1}^2 - r_i^2). The axis r = 0 has zero area, so symmetry needs no
special treatment (the finite-volume form of scikit-fem's "axisymmetry is a weight").

The grid is uniform (``cell_size``) in a zone around the active tip, where the lesion
grows, and grows geometrically outside it to a far boundary many lesion radii away.
Faces are placed on the cannula radius, the tip end (z = 0) and the start of the
active tip (z = -L) so that the cylindrical metal surfaces are grid-aligned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

FloatArray = NDArray[np.float64]


class GridSettings(BaseModel):
    """Resolution and extent of the grid (the defaults give < 1 % verification error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Defaults chosen by the convergence study in docs/physics.md: halving them
    #: changes the 18 G / 10 mm / 80 C / 90 s lesion width by under 1 %.
    radial_cell_mm: float = Field(0.2, gt=0.005, le=1.0)
    axial_cell_mm: float = Field(0.4, gt=0.005, le=2.0)
    #: Uniform zone beyond the metal, radially and beyond both tip ends axially.
    fine_zone_mm: float = Field(5.0, gt=0.5, le=50.0)
    #: Far boundary distance from the tip region.
    far_boundary_mm: float = Field(40.0, gt=2.0, le=500.0)
    growth_ratio: float = Field(1.15, gt=1.0, le=1.5)
    time_step_s: float = Field(1.0, gt=0.0, le=60.0)
    #: Electric far boundary: "infinite" (Robin condition of a point source, the
    #: default: the tissue extends far beyond the grid) or "grounded" (V = 0).
    electric_far_boundary: Literal["infinite", "grounded"] = "infinite"

    def refined(self, factor: float) -> GridSettings:
        """The same grid with cells and time step divided by ``factor``."""
        return self.model_copy(
            update={
                "radial_cell_mm": self.radial_cell_mm / factor,
                "axial_cell_mm": self.axial_cell_mm / factor,
                "time_step_s": self.time_step_s / factor,
            }
        )


def _graded(start: float, stop: float, first: float, ratio: float) -> list[float]:
    """Faces from ``start`` towards ``stop`` with cells growing geometrically from ``first``."""
    faces = [start]
    size = first
    direction = 1.0 if stop > start else -1.0
    while (stop - faces[-1]) * direction > 1e-15:
        size *= ratio
        remaining = abs(stop - faces[-1])
        step = min(size, remaining)
        if remaining - step < 0.5 * size:  # avoid a sliver last cell
            step = remaining
        faces.append(faces[-1] + direction * step)
    return faces


def _uniform(start: float, stop: float, size: float) -> list[float]:
    count = max(1, math.ceil((stop - start) / size - 1e-9))
    return list(np.linspace(start, stop, count + 1))


def build_faces(
    *,
    metal_radius_m: float,
    tip_length_m: float,
    settings: GridSettings,
) -> tuple[FloatArray, FloatArray]:
    """Radial and axial face coordinates (m) for one cannula."""
    dr = settings.radial_cell_mm * 1e-3
    dz = settings.axial_cell_mm * 1e-3
    fine = settings.fine_zone_mm * 1e-3
    far = settings.far_boundary_mm * 1e-3

    inner = _uniform(0.0, metal_radius_m, min(dr, metal_radius_m / 3))
    near = _uniform(metal_radius_m, metal_radius_m + fine, dr)
    outer = _graded(metal_radius_m + fine, metal_radius_m + far, dr, settings.growth_ratio)
    r_faces = np.array(inner[:-1] + near[:-1] + outer)

    tip_faces = _uniform(-tip_length_m, 0.0, dz)
    distal = _uniform(0.0, fine, dz)
    proximal = _uniform(-tip_length_m - fine, -tip_length_m, dz)
    distal_far = _graded(fine, far, dz, settings.growth_ratio)
    proximal_far = _graded(-tip_length_m - fine, -tip_length_m - far, dz, settings.growth_ratio)
    z_faces = np.array(
        proximal_far[::-1][:-1] + proximal[:-1] + tip_faces[:-1] + distal[:-1] + distal_far
    )
    return r_faces, z_faces


@dataclass(frozen=True)
class AxisymmetricGrid:
    """Cell and face geometry of a structured (r, z) grid; arrays are indexed [i_r, j_z]."""

    r_faces_m: FloatArray
    z_faces_m: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        """(number of radial cells, number of axial cells)."""
        return (self.r_faces_m.size - 1, self.z_faces_m.size - 1)

    @property
    def size(self) -> int:
        """Number of cells."""
        return self.shape[0] * self.shape[1]

    @cached_property
    def r_centres_m(self) -> FloatArray:
        """Radial cell centres (m)."""
        return 0.5 * (self.r_faces_m[1:] + self.r_faces_m[:-1])

    @cached_property
    def z_centres_m(self) -> FloatArray:
        """Axial cell centres (m)."""
        return 0.5 * (self.z_faces_m[1:] + self.z_faces_m[:-1])

    @cached_property
    def dr_m(self) -> FloatArray:
        """Radial cell widths (m)."""
        return np.diff(self.r_faces_m)

    @cached_property
    def dz_m(self) -> FloatArray:
        """Axial cell heights (m)."""
        return np.diff(self.z_faces_m)

    @cached_property
    def centres(self) -> tuple[FloatArray, FloatArray]:
        """Cell-centre coordinates as two [i_r, j_z] arrays."""
        r, z = np.meshgrid(self.r_centres_m, self.z_centres_m, indexing="ij")
        return r, z

    @cached_property
    def annulus_area_m2(self) -> FloatArray:
        """Area of each axial face ring, pi (r_{i+1}^2 - r_i^2), per radial index."""
        return np.pi * (self.r_faces_m[1:] ** 2 - self.r_faces_m[:-1] ** 2)

    @cached_property
    def volume_m3(self) -> FloatArray:
        """Cell volumes [i_r, j_z]."""
        return np.asarray(np.outer(self.annulus_area_m2, self.dz_m), dtype=np.float64)

    @cached_property
    def radial_face_area_m2(self) -> FloatArray:
        """Areas of the interior radial faces between cell i and i+1: [i_r - 1, j_z]."""
        return np.outer(2 * np.pi * self.r_faces_m[1:-1], self.dz_m)

    @cached_property
    def outer_radial_face_area_m2(self) -> FloatArray:
        """Areas of the faces on the far radial boundary, per axial index."""
        return np.asarray(2 * np.pi * self.r_faces_m[-1] * self.dz_m, dtype=np.float64)

    @classmethod
    def for_cannula(
        cls, *, metal_radius_m: float, tip_length_m: float, settings: GridSettings
    ) -> AxisymmetricGrid:
        """The default grid around a cannula."""
        r_faces, z_faces = build_faces(
            metal_radius_m=metal_radius_m, tip_length_m=tip_length_m, settings=settings
        )
        return cls(r_faces_m=r_faces, z_faces_m=z_faces)
