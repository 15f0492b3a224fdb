"""Lesion width and length in 3D: the Omega >= 1 region in the cannula's own planes.

log10 Omega is interpolated (trilinear, cell centres) onto half-planes through the
cannula's axis at four azimuths (u, v, -u, -v, perpendicular to the axis), each an
(r, z) grid in the cannula's frame; the axisymmetric engine's
:func:`rhizo.physics.lesion.radius_profile` and axial extent then find the edges on
each, so the 3D lesion is measured by the same rule as the 2D one. Width along u is
max over z of r_u(z) + r_-u(z) (likewise v); length is the span of the lesion along
the axis, over all four half-planes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict
from scipy.interpolate import RegularGridInterpolator

from rhizo.physics.grid import AxisymmetricGrid
from rhizo.physics.lesion import _axial_extent, radius_profile
from rhizo.physics.three_d.fv3d import Geometry3D
from rhizo.physics.three_d.grid3d import CartesianGrid

FloatArray = NDArray[np.float64]

#: Spacing of the sampling half-planes (m): a tenth of the finest 3D cells or less.
SAMPLE_M = 2.5e-5


class Lesion3DDimensions(BaseModel):
    """Omega >= 1 lesion size in mm: across the shaft in two directions, and along it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    width_mm: float
    width_u_mm: float
    width_v_mm: float
    length_mm: float
    distal_extension_mm: float


def perpendicular_axes(direction: tuple[float, float, float]) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors u, v perpendicular to the axis and to each other (u in x-z if it can)."""
    d = np.asarray(direction, dtype=np.float64)
    helper = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(helper, d)
    u /= np.linalg.norm(u)
    v = np.cross(d, u)
    return u, v


def measure_lesion(
    geometry: Geometry3D,
    log10_omega: FloatArray,
    *,
    radius_mm: float = 8.0,
    behind_mm: float = 6.0,
    ahead_mm: float = 6.0,
) -> Lesion3DDimensions:
    """Dimensions of ``log10_omega >= 0`` (a field of the grid's shape)."""
    grid, pose = geometry.grid, geometry.pose
    electrode = pose.electrode
    length = electrode.tip_length_m
    r_faces = np.arange(0.0, radius_mm * 1e-3 + SAMPLE_M / 2, SAMPLE_M)
    z_faces = np.arange(-length - behind_mm * 1e-3, ahead_mm * 1e-3 + SAMPLE_M / 2, SAMPLE_M)
    plane = AxisymmetricGrid(r_faces_m=r_faces, z_faces_m=z_faces)
    r, z = plane.centres
    metal = np.asarray(electrode.level_set(r, z) < 0)
    # Metal cells keep their own Omega (the metal's temperature): a metal value set
    # to "inside" would leak into the tissue samples beside the shaft.
    interpolate = RegularGridInterpolator(
        tuple(grid.centres_m(a) for a in range(3)),
        log10_omega,
        bounds_error=False,
        fill_value=None,
    )
    tip, d = np.asarray(pose.tip_m), np.asarray(pose.direction)
    u, v = perpendicular_axes(pose.direction)
    profiles, tops, bottoms = [], [], []
    for axis in (u, v, -u, -v):
        points = tip + z[..., None] * d + r[..., None] * axis
        values = interpolate(points.reshape(-1, 3)).reshape(r.shape)
        values = np.where(metal, 50.0, values)
        profiles.append(radius_profile(plane, values, 0.0, metal))
        extent = _axial_extent(plane, values, 0.0, metal)
        if extent is not None:
            tops.append(extent[0])
            bottoms.append(extent[1])
    if not tops:
        return Lesion3DDimensions(
            width_mm=0.0, width_u_mm=0.0, width_v_mm=0.0, length_mm=0.0, distal_extension_mm=0.0
        )
    width_u = float(np.max(profiles[0] + profiles[2])) * 1e3
    width_v = float(np.max(profiles[1] + profiles[3])) * 1e3
    top, bottom = max(tops), min(bottoms)
    return Lesion3DDimensions(
        width_mm=max(width_u, width_v),
        width_u_mm=width_u,
        width_v_mm=width_v,
        length_mm=(top - bottom) * 1e3,
        distal_extension_mm=max(top, 0.0) * 1e3,
    )


class Confluence3D(BaseModel):
    """Along the segment joining two tips' centres: is the Omega >= 1 lesion unbroken?

    ``gap_mm`` is the length of the segment where Omega < 1 (0 when confluent);
    ``min_log10_omega`` the lowest log10 Omega on it; ``midpoint_peak_c`` the highest
    temperature reached at its midpoint (``None`` without a peak field).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    spacing_mm: float
    confluent: bool
    gap_mm: float
    min_log10_omega: float
    midpoint_peak_c: float | None = None


def confluence(
    grid: CartesianGrid,
    log10_omega: FloatArray,
    start_m: FloatArray,
    end_m: FloatArray,
    *,
    peak_temperature_c: FloatArray | None = None,
) -> Confluence3D:
    """Sample log10 Omega (trilinear, cell centres) every SAMPLE_M from start to end.

    The rule, stated for the bench studies (Wondra 2024, "confluent"): a bipolar or
    sequential lesion is confluent when the Omega >= 1 region joins the two tips along
    the straight line between their active tips' centres.
    """
    start, end = np.asarray(start_m, dtype=np.float64), np.asarray(end_m, dtype=np.float64)
    spacing = float(np.linalg.norm(end - start))
    count = max(2, int(np.ceil(spacing / SAMPLE_M)) + 1)
    fractions = np.linspace(0.0, 1.0, count)
    points = start + fractions[:, None] * (end - start)
    centres = tuple(grid.centres_m(a) for a in range(3))
    values = RegularGridInterpolator(centres, log10_omega, bounds_error=False, fill_value=None)(
        points
    )
    below = values < 0.0
    step = spacing / (count - 1)
    midpoint: float | None = None
    if peak_temperature_c is not None:
        peak = RegularGridInterpolator(centres, peak_temperature_c)(0.5 * (start + end))
        midpoint = float(peak[0])
    return Confluence3D(
        spacing_mm=spacing * 1e3,
        confluent=not bool(below.any()),
        gap_mm=float(np.count_nonzero(below)) * step * 1e3,
        min_log10_omega=float(np.min(values)),
        midpoint_peak_c=midpoint,
    )
