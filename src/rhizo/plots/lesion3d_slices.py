"""Two slices through a 3D lesion beside bone: the cannula's plane and across it.

Millimetres in the planner's nerve frame. Panel 1 is the plane through the
cannula's axis d spanned by d and e = the unit part of the nerve frame's y
across d (for a cannula parallel to the nerve: the bone's plane at the axis's
height); its axes are (along d, along e), 0 at the active tip's middle. Panel 2 is
the plane across the axis at the active tip's middle, axes (e, d x e). Each shows
the bone (cells with a solid label, nearest cell), the lesion (log10 Omega >= 0,
trilinear between cell centres; not drawn in bone, whose Omega comes from a
stand-in damage model), the cannula's metal
outline and the nerve (its centreline's projection in panel 1, its disc where it
crosses panel 2's plane). Built on the Agg canvas and returned; callers save it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from numpy.typing import NDArray
from scipy.interpolate import RegularGridInterpolator

from rhizo.physics.three_d.geometry3d import CannulaPose
from rhizo.physics.three_d.grid3d import CartesianGrid

FloatArray = NDArray[np.float64]

_LESION = "#f4a259"
_BONE = "#b8b8b8"
_NERVE = "#3d5a80"
#: Half-size of each panel (mm) and its sampling step (mm).
HALF_MM = 10.0
STEP_MM = 0.1


def _plane_axes(pose: CannulaPose) -> tuple[FloatArray, FloatArray, FloatArray]:
    """d, e (y made perpendicular to d, or z if d is along y) and d x e."""
    d = np.asarray(pose.direction, dtype=np.float64)
    helper = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.95 else np.array([0.0, 0.0, 1.0])
    e = helper - (helper @ d) * d
    e /= np.linalg.norm(e)
    return d, e, np.cross(d, e)


def slices_figure(
    grid: CartesianGrid,
    log10_omega: FloatArray,
    labels: NDArray[np.int8],
    pose: CannulaPose,
    *,
    nerve_m: FloatArray | None = None,
    nerve_radius_m: float = 0.0,
    title: str = "",
) -> Figure:
    """The two slices of one 3D run (fields on ``grid``); ``nerve_m`` (m, 3) optional."""
    centres = tuple(grid.centres_m(axis) for axis in range(3))
    omega = RegularGridInterpolator(centres, log10_omega, bounds_error=False, fill_value=-50.0)
    d, e, f = _plane_axes(pose)
    middle = np.asarray(pose.tip_m) - 0.5 * pose.electrode.tip_length_m * d
    ticks = np.arange(-HALF_MM, HALF_MM + STEP_MM / 2, STEP_MM)
    a, b = np.meshgrid(ticks, ticks, indexing="xy")
    figure = Figure(figsize=(10.0, 5.0), layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 2)
    for axes, (first, second), names in (
        (panels[0], (d, e), ("along the cannula (mm)", "across, bone plane (mm)")),
        (panels[1], (e, f), ("across, bone plane (mm)", "away from the cannula plane (mm)")),
    ):
        points = middle + (a[..., None] * first + b[..., None] * second) * 1e-3
        flat = points.reshape(-1, 3)
        index = [
            np.clip(np.searchsorted(grid.faces[k], flat[:, k]) - 1, 0, grid.shape[k] - 1)
            for k in range(3)
        ]
        bone = (labels[index[0], index[1], index[2]] > 0).reshape(a.shape)
        value = omega(flat).reshape(a.shape)
        metal = pose.level_set(points[..., 0], points[..., 1], points[..., 2]) < 0
        axes.contourf(a, b, np.where(bone, 1.0, 0.0), levels=[0.5, 1.5], colors=[_BONE])
        lesion = np.where(bone | metal, -1.0, value)
        axes.contourf(a, b, lesion, levels=[0.0, 1e9], colors=[_LESION], alpha=0.8)
        axes.contour(a, b, np.where(metal, -1.0, value), levels=[0.0], colors=["#9c4a00"])
        axes.contour(a, b, metal.astype(float), levels=[0.5], colors=["black"])
        axes.set_xlabel(names[0])
        axes.set_ylabel(names[1])
        axes.set_aspect("equal")
    if nerve_m is not None:
        relative = (nerve_m - middle) * 1e3
        panels[0].plot(relative @ d, relative @ e, color=_NERVE, lw=1.5, label="nerve")
        depth = relative @ d
        crossing = int(np.argmin(np.abs(depth)))
        if abs(depth[crossing]) < 0.5:
            point = relative[crossing]
            panels[1].add_patch(
                Circle(
                    (float(point @ e), float(point @ f)),
                    nerve_radius_m * 1e3,
                    color=_NERVE,
                    fill=False,
                    lw=1.5,
                )
            )
    panels[0].set_title("cannula plane: lesion (orange), bone (grey), metal (black)")
    panels[1].set_title("across the cannula at the active tip's middle")
    if title:
        figure.suptitle(title)
    return figure
