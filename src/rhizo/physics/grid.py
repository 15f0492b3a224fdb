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
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM, TIP_LENGTH_RANGE_MM

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
    growth_ratio: float = Field(1.2, gt=1.0, le=1.5)
    #: Cells at the metal's edges (the tip end, the insulation edge, the cannula surface)
    #: and inside the cannula radius, where the current concentrates, are
    #: ``radial_cell_mm / edge_refinement``; they grow by TIP_GROWTH_RATIO to the
    #: fine-zone sizes. 4 (0.05 mm cells) makes the peak tissue temperature
    #: grid-converged to < 1 C (docs/physics.md, boiling); <= 0.5 turns the grading off.
    edge_refinement: float = Field(4.0, ge=0.1, le=20.0)
    #: Time step over the ramp; the hold starts with it and grows by ``time_step_growth``
    #: per step up to ``max_time_step_s`` (the tip is held still, so the field evolves
    #: slowly; backward Euler is unconditionally stable). With the defaults (1, 2, then
    #: 4 s) whole-second programs use step lengths of 1, 2, 3 and 4 s only, so a sweep
    #: of programs shares four heat factorisations. Convergence: docs/physics.md.
    time_step_s: float = Field(1.0, gt=0.0, le=60.0)
    hold_time_step_s: float = Field(5.0, gt=0.0, le=60.0)
    max_time_step_s: float = Field(10.0, gt=0.0, le=60.0)
    time_step_growth: float = Field(2.0, ge=1.0, le=2.0)
    #: Electric far boundary: "infinite" (Robin condition of a point source, the
    #: default: the tissue extends far beyond the grid) or "grounded" (V = 0).
    electric_far_boundary: Literal["infinite", "grounded"] = "infinite"

    @model_validator(mode="after")
    def _cells_within_limit(self) -> GridSettings:
        """Refuse settings whose grid around the largest cannula exceeds MAX_CELLS."""
        r_faces, z_faces = build_faces(
            metal_radius_m=max(GAUGE_OUTER_DIAMETER_MM.values()) * 1e-3 / 2,
            tip_length_m=TIP_LENGTH_RANGE_MM[1] * 1e-3,
            settings=self,
        )
        cells = (r_faces.size - 1) * (z_faces.size - 1)
        if cells > MAX_CELLS:
            setting, value = min(
                (
                    ("radial_cell_mm", self.radial_cell_mm),
                    ("axial_cell_mm", self.axial_cell_mm),
                ),
                key=lambda item: item[1],
            )
            raise ValueError(
                f"{setting}={value:g} (with fine_zone_mm={self.fine_zone_mm:g}) gives "
                f"{cells:,} cells around a 16 G / 20 mm cannula; the limit is {MAX_CELLS:,} "
                "cells: use larger cells or a smaller fine zone"
            )
        return self

    def refined(self, factor: float) -> GridSettings:
        """The same grid with cells and time step divided by ``factor`` (validated)."""
        return GridSettings.model_validate(
            self.model_dump()
            | {
                "radial_cell_mm": self.radial_cell_mm / factor,
                "axial_cell_mm": self.axial_cell_mm / factor,
                "time_step_s": self.time_step_s / factor,
                "hold_time_step_s": self.hold_time_step_s / factor,
                "max_time_step_s": self.max_time_step_s / factor,
            }
        )


#: Largest grid a lesion may use: at 500,000 cells one run needs about 1 GB of memory
#: (sparse factorisations) and minutes; beyond, SuperLU fails or memory runs out.
MAX_CELLS = 500_000


class GridTooLargeError(ValueError):
    """The grid settings would give more cells than :data:`MAX_CELLS`."""


def _geometric_steps(
    length_s: float, first_s: float, growth: float, largest_s: float
) -> list[float]:
    """Step lengths from ``first_s`` growing by ``growth`` up to ``largest_s``, filling
    ``length_s``: the last step is shortened to land on it."""
    steps: list[float] = []
    now, step = 0.0, first_s
    tolerance = 1e-9 * max(length_s, 1.0)
    while now < length_s - tolerance:
        taken = min(step, length_s - now)
        steps.append(taken)
        now += taken
        step = min(step * growth, largest_s)
    return steps


def step_end_times(*, ramp_s: float, total_s: float, settings: GridSettings) -> FloatArray:
    """End time (s) of every time step of a run: the ramp, then the hold.

    The engine's BDF2 steps are kept short where the solution is least smooth in
    time: at the start (the power switches on) and where the set point's ramp
    ends (its slope jumps). The ramp's steps grow from ``time_step_s`` by
    ``time_step_growth`` and are scaled to end exactly on ``ramp_s``; the hold's
    grow from ``hold_time_step_s`` (``time_step_s`` without a ramp) up to
    ``max_time_step_s``, the last one shortened to land on ``total_s``.
    """
    dt = settings.time_step_s
    growth = settings.time_step_growth
    dt_max = max(settings.max_time_step_s, dt)
    ramp_end = min(ramp_s, total_s)
    times: list[float] = []
    if ramp_end > 0:
        # As many growing steps as fit the ramp best, scaled to fill it exactly.
        steps = _geometric_steps(ramp_end, dt, growth, dt_max)
        if len(steps) > 1 and steps[-1] < 0.5 * steps[-2]:
            steps = steps[:-1]
        scale = ramp_end / sum(steps)
        times.extend(np.cumsum([step * scale for step in steps]).tolist())
        times[-1] = ramp_end
    hold_first = min(settings.hold_time_step_s, dt_max) if ramp_end > 0 else dt
    start = times[-1] if times else 0.0
    hold = _geometric_steps(total_s - start, hold_first, growth, dt_max)
    times.extend((start + np.cumsum(hold)).tolist())
    if hold:
        times[-1] = total_s
    if not times:
        times.append(total_s)
    return np.asarray(times, dtype=np.float64)


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


#: Growth of cell sizes away from the metal's edges (see GridSettings.edge_refinement).
TIP_GROWTH_RATIO = 1.3


def _segment(
    start: float,
    stop: float,
    size: float,
    *,
    start_size: float | None = None,
    stop_size: float | None = None,
) -> list[float]:
    """Faces from ``start`` to ``stop``: cells of ``size``, graded down towards an end.

    Near an end with a given size the cells start at that size and grow by
    TIP_GROWTH_RATIO until they reach ``size``; the middle is uniform.
    """

    def ramp(first: float | None) -> list[float]:
        sizes: list[float] = []
        if first is None:
            return sizes
        cell = first
        while cell < size:
            sizes.append(cell)
            cell *= TIP_GROWTH_RATIO
        return sizes

    low, high = ramp(start_size), ramp(stop_size)
    length = stop - start
    while sum(low) + sum(high) > length and (low or high):
        (low if sum(low) >= sum(high) else high).pop()
    middle = length - sum(low) - sum(high)
    count = math.ceil(middle / size - 1e-9) if middle > 1e-9 * length else 0
    sizes = low + [middle / count] * count + high[::-1] if count else low + high[::-1]
    faces = list(start + np.concatenate([[0.0], np.cumsum(sizes)]))
    faces[-1] = stop
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

    edge = dr / settings.edge_refinement
    inner = _segment(0.0, metal_radius_m, min(dr, metal_radius_m / 3, edge))
    near = _segment(metal_radius_m, metal_radius_m + fine, dr, start_size=edge)
    outer = _graded(metal_radius_m + fine, metal_radius_m + far, dr, settings.growth_ratio)
    r_faces = np.array(inner[:-1] + near[:-1] + outer)

    tip_faces = _segment(-tip_length_m, 0.0, dz, start_size=edge, stop_size=edge)
    distal = _segment(0.0, fine, dz, start_size=edge)
    proximal = _segment(-tip_length_m - fine, -tip_length_m, dz, stop_size=edge)
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
        cells = (r_faces.size - 1) * (z_faces.size - 1)
        if cells > MAX_CELLS:
            raise GridTooLargeError(
                f"grid of {cells:,} cells exceeds the limit of {MAX_CELLS:,} "
                f"(radial_cell_mm={settings.radial_cell_mm:g}, "
                f"axial_cell_mm={settings.axial_cell_mm:g}, "
                f"fine_zone_mm={settings.fine_zone_mm:g}, "
                f"far_boundary_mm={settings.far_boundary_mm:g}); use larger cells or a "
                "smaller fine zone"
            )
        return cls(r_faces_m=r_faces, z_faces_m=z_faces)
