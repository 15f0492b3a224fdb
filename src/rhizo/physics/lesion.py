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
    (One field: :func:`radius_profiles` of a batch of one.)
    """
    profile: FloatArray = radius_profiles(grid, field[None], threshold, metal)[0]
    return profile


def radius_profiles(
    grid: AxisymmetricGrid, fields: FloatArray, threshold: float, metal: BoolArray
) -> FloatArray:
    """:func:`radius_profile` of each field of a batch (axis 0): shape (lesions, n_z).

    Every lesion's numbers are those of its own profile (elementwise, no sums), so a
    batch measures exactly as one lesion at a time, in one pass over the arrays.
    """
    inside = (fields >= threshold) | metal
    n_r = grid.shape[0]
    radii = np.zeros((fields.shape[0], grid.shape[1]))
    # The first cell outside, walking out from the axis (n_r if the run spans the row).
    first_out = np.where(~inside.all(axis=1), np.argmin(inside, axis=1), n_r)
    lesion, j = np.nonzero((inside & ~metal).any(axis=1))
    edge = first_out[lesion, j]
    spans = edge >= n_r
    radii[lesion[spans], j[spans]] = grid.r_faces_m[-1]
    interior = (edge > 0) & (edge < n_r)
    lesion, j, edge = lesion[interior], j[interior], edge[interior]
    below, above = fields[lesion, edge - 1, j], fields[lesion, edge, j]
    r_centres = grid.r_centres_m
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.minimum(np.maximum((below - threshold) / (below - above), 0.0), 1.0)
    interpolated = r_centres[edge - 1] + fraction * (r_centres[edge] - r_centres[edge - 1])
    on_face = metal[edge - 1, j] | ~np.isfinite(below) | (below == above)
    radii[lesion, j] = np.where(on_face, grid.r_faces_m[edge], interpolated)
    return radii


def _axial_extent(
    grid: AxisymmetricGrid, field: FloatArray, threshold: float, metal: BoolArray
) -> tuple[float, float] | None:
    """Most distal and most proximal z (m) of tissue inside the boundary, interpolated."""
    top, bottom = _axial_extents(grid, field[None], threshold, metal)
    if np.isnan(top[0]):
        return None
    return float(top[0]), float(bottom[0])


def _axial_extents(
    grid: AxisymmetricGrid, fields: FloatArray, threshold: float, metal: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`_axial_extent` of each field of a batch: (top, bottom), NaN where empty."""
    inside = (fields >= threshold) & ~metal
    lesion, rows = np.nonzero(inside.any(axis=2))
    count = fields.shape[0]
    top = np.full(count, np.nan)
    bottom = np.full(count, np.nan)
    if rows.size == 0:
        return top, bottom
    n_z = inside.shape[2]
    row_inside = inside[lesion, rows]
    j_bottom = np.argmax(row_inside, axis=1)
    j_top = n_z - 1 - np.argmax(row_inside[:, ::-1], axis=1)
    values, row_metal = fields[lesion, rows], metal[rows]
    tops = _crossings(values, grid, j_top, j_top + 1, threshold, row_metal)
    bottoms = _crossings(values, grid, j_bottom, j_bottom - 1, threshold, row_metal)
    # Pairs come lesion by lesion (np.nonzero is in C order): reduce each lesion's run.
    starts = np.concatenate(([0], np.flatnonzero(lesion[1:] != lesion[:-1]) + 1))
    present = lesion[starts]
    top[present] = np.maximum.reduceat(tops, starts)
    bottom[present] = np.minimum.reduceat(bottoms, starts)
    return top, bottom


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
    j_next = np.minimum(np.maximum(j_out, 0), z.size - 1)
    # Bounded by the metal or the domain: the edge is the cell's face on that side.
    bounded = (j_out < 0) | (j_out >= z.size) | metal[rows, j_next]
    face = np.where(j_out > j_in, grid.z_faces_m[j_in + 1], grid.z_faces_m[j_in])
    below, above = values[rows, j_in], values[rows, j_next]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.minimum(np.maximum((below - threshold) / (below - above), 0.0), 1.0)
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
    return measure_batch(
        boundary=boundary,
        grid=grid,
        fields=field[None],
        threshold=threshold,
        metal=metal,
        tip_length_m=tip_length_m,
    )[0]


def measure_batch(
    *,
    boundary: str,
    grid: AxisymmetricGrid,
    fields: FloatArray,
    threshold: float,
    metal: BoolArray,
    tip_length_m: float,
) -> list[LesionDimensions]:
    """:func:`measure` of each field of a batch (axis 0), in one pass over the arrays.

    The edges come from :func:`radius_profiles` and :func:`_axial_extents`, which give
    each lesion exactly the numbers it gets alone; the volume is summed per lesion.
    """
    radii = radius_profiles(grid, fields, threshold, metal)
    tops, bottoms = _axial_extents(grid, fields, threshold, metal)
    metal_radius = np.where(metal.any(axis=0), grid.r_faces_m[np.argmin(metal, axis=0)], 0.0)
    areas = np.pi * np.clip(radii**2 - metal_radius**2, 0.0, None)
    dimensions = []
    for lesion_radii, area, top, bottom in zip(radii, areas, tops, bottoms, strict=True):
        if np.isnan(top) or not lesion_radii.any():
            dimensions.append(
                LesionDimensions(
                    boundary=boundary,
                    width_mm=0.0,
                    length_mm=0.0,
                    distal_extension_mm=0.0,
                    proximal_extension_mm=0.0,
                    volume_mm3=0.0,
                )
            )
            continue
        volume = float(np.sum(area * grid.dz_m))
        dimensions.append(
            LesionDimensions(
                boundary=boundary,
                width_mm=2 * float(lesion_radii.max()) * 1e3,
                length_mm=(float(top) - float(bottom)) * 1e3,
                distal_extension_mm=max(float(top), 0.0) * 1e3,
                proximal_extension_mm=max(-tip_length_m - float(bottom), 0.0) * 1e3,
                volume_mm3=volume * 1e9,
            )
        )
    return dimensions
