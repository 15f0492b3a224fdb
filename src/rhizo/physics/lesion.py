"""Lesion dimensions from a field on the grid: width, length, extensions, volume.

A boundary is a threshold on a cell field (log10 Omega >= 0 for Arrhenius, peak
temperature >= 50 C or 45 C for isotherms). Along each grid row (fixed z) the
outer edge is where the field crosses the threshold, linearly interpolated
between the last cell inside and the first outside; likewise along each column
for the distal and proximal ends. So dimensions vary smoothly with the settings
instead of jumping by whole cells.

Width is the largest diameter across the shaft (the metal included, as measured
on a bench lesion); length is measured along the shaft; the distal extension is
how far the lesion reaches beyond the metal's end (z = 0) and the proximal
extension how far it reaches behind the start of the active tip (z = -L).
Volume is that of coagulated tissue (the metal excluded).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from rhizo.physics.grid import AxisymmetricGrid

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

BOUNDARY_DESCRIPTIONS: dict[str, str] = {
    "arrhenius": "Arrhenius damage Omega >= 1 (63 % denatured), the default lesion boundary",
    "isotherm_50c": "peak temperature >= 50 C (bench photographs' 'cooked' border)",
    "isotherm_45c": "peak temperature >= 45 C (manufacturer charts' border; safety margin)",
}


class LesionDimensions(BaseModel):
    """Size of the lesion inside one boundary (clinical units: mm, mm^3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    boundary: str
    width_mm: float
    length_mm: float
    distal_extension_mm: float
    proximal_extension_mm: float
    volume_mm3: float


def radius_profile(
    grid: AxisymmetricGrid, field: FloatArray, threshold: float, metal: BoolArray
) -> FloatArray:
    """Outer lesion radius (m) of every grid row; 0 where the row has no lesion.

    Metal cells count as inside, so a row's lesion is the run of cells from the
    axis outwards; the edge is interpolated between that run's last cell and the next.
    """
    inside = (field >= threshold) | metal
    n_r = grid.shape[0]
    radii = np.zeros(grid.shape[1])
    # The first cell outside, walking out from the axis (n_r if the run spans the row).
    first_out = np.where(~inside.all(axis=0), np.argmin(inside, axis=0), n_r)
    columns = np.flatnonzero((inside & ~metal).any(axis=0))
    edge = first_out[columns]
    radii[columns[edge >= n_r]] = grid.r_faces_m[-1]
    interior = (edge > 0) & (edge < n_r)
    j, edge = columns[interior], edge[interior]
    below, above = field[edge - 1, j], field[edge, j]
    r_centres = grid.r_centres_m
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.clip((below - threshold) / (below - above), 0.0, 1.0)
    interpolated = r_centres[edge - 1] + fraction * (r_centres[edge] - r_centres[edge - 1])
    on_face = metal[edge - 1, j] | ~np.isfinite(below) | (below == above)
    radii[j] = np.where(on_face, grid.r_faces_m[edge], interpolated)
    return radii


def _axial_extent(
    grid: AxisymmetricGrid, field: FloatArray, threshold: float, metal: BoolArray
) -> tuple[float, float] | None:
    """Most distal and most proximal z (m) of tissue inside the boundary, interpolated."""
    inside = (field >= threshold) & ~metal
    rows = np.flatnonzero(inside.any(axis=1))
    if rows.size == 0:
        return None
    n_z = inside.shape[1]
    j_bottom = np.argmax(inside[rows], axis=1)
    j_top = n_z - 1 - np.argmax(inside[rows, ::-1], axis=1)
    values, row_metal = field[rows], metal[rows]
    top = _crossings(values, grid, j_top, j_top + 1, threshold, row_metal).max()
    bottom = _crossings(values, grid, j_bottom, j_bottom - 1, threshold, row_metal).min()
    return float(top), float(bottom)


def _crossings(
    values: FloatArray,
    grid: AxisymmetricGrid,
    j_in: NDArray[np.intp],
    j_out: NDArray[np.intp],
    threshold: float,
    metal: BoolArray,
) -> FloatArray:
    """Per row of ``values``: z where the field crosses the threshold from j_in to j_out."""
    z = grid.z_centres_m
    rows = np.arange(values.shape[0])
    j_next = np.clip(j_out, 0, z.size - 1)
    # Bounded by the metal or the domain: the edge is the cell's face on that side.
    bounded = (j_out < 0) | (j_out >= z.size) | metal[rows, j_next]
    face = np.where(j_out > j_in, grid.z_faces_m[j_in + 1], grid.z_faces_m[j_in])
    below, above = values[rows, j_in], values[rows, j_next]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.clip((below - threshold) / (below - above), 0.0, 1.0)
    crossing = np.where(below == above, z[j_in], z[j_in] + fraction * (z[j_next] - z[j_in]))
    return np.asarray(np.where(bounded, face, crossing), dtype=np.float64)


def measure(
    *,
    boundary: str,
    grid: AxisymmetricGrid,
    field: FloatArray,
    threshold: float,
    metal: BoolArray,
    tip_length_m: float,
) -> LesionDimensions:
    """Width, length, extensions and volume of the region ``field >= threshold``."""
    radii = radius_profile(grid, field, threshold, metal)
    extent = _axial_extent(grid, field, threshold, metal)
    if extent is None or not radii.any():
        return LesionDimensions(
            boundary=boundary,
            width_mm=0.0,
            length_mm=0.0,
            distal_extension_mm=0.0,
            proximal_extension_mm=0.0,
            volume_mm3=0.0,
        )
    top, bottom = extent
    metal_radius = np.where(metal.any(axis=0), grid.r_faces_m[np.argmin(metal, axis=0)], 0.0)
    tissue_area = np.pi * np.clip(radii**2 - metal_radius**2, 0.0, None)
    volume = float(np.sum(tissue_area * grid.dz_m))
    return LesionDimensions(
        boundary=boundary,
        width_mm=2 * float(radii.max()) * 1e3,
        length_mm=(top - bottom) * 1e3,
        distal_extension_mm=max(top, 0.0) * 1e3,
        proximal_extension_mm=max(-tip_length_m - bottom, 0.0) * 1e3,
        volume_mm3=volume * 1e9,
    )
