"""Captured length on a 3D lesion: the nerve's disc inside the Omega >= 1 region.

The 2D planner's margin is ``R(z) - r - a`` on an axisymmetric R(z)
(:mod:`rhizo.planning.capture`). On a 3D lesion it is

    margin(P) = D(P) - a,

D the distance from the nerve's centreline point P to the outside of the lesion
(positive inside, negative outside) and a the nerve's radius: the disc of radius a
about P (indeed the ball) lies inside the lesion when margin >= 0. D is found on a
uniform lattice of :data:`SAMPLE_M` spacing over the lesion's bounding box: log10
Omega interpolated trilinearly from the 3D cell centres, the lattice points with
log10 Omega >= 0 inside, then Euclidean distance transforms
(:func:`scipy.ndimage.distance_transform_edt`) of the inside and of the outside,
each less half a spacing (the boundary lies between a point and its neighbour), so
D is the signed distance to within about half a spacing; between lattice points D
is interpolated trilinearly. The captured length is then the planner's one
definition, :func:`rhizo.planning.capture.longest_inside_run_m` (margin linear
between centreline points, integrated exactly).

For the disc criterion of the 2D planner the two agree where the lesion's radius
changes slowly along the cannula (a straight nerve parallel to it); at the
lesion's ends the ball is the stricter test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import RegularGridInterpolator
from scipy.ndimage import distance_transform_edt

from rhizo.physics.three_d.grid3d import CartesianGrid
from rhizo.planning.capture import longest_inside_run_m

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Lattice spacing of the distance field (m).
SAMPLE_M = 1e-4
#: Margin of the lattice beyond the lesion's bounding box (m): the lattice's faces lie
#: outside the lesion, so every inside point has an outside neighbour in reach.
PAD_M = 1e-3
#: D outside the lattice (m): far outside any lesion.
OUTSIDE_M = -1.0


@dataclass(frozen=True)
class LesionDistance:
    """Signed distance (m, positive inside) to the lesion's outside on a lattice."""

    axes_m: tuple[FloatArray, FloatArray, FloatArray]
    distance_m: FloatArray

    @property
    def empty(self) -> bool:
        """True when no point is inside (no lesion)."""
        return bool(self.distance_m.size == 0 or np.max(self.distance_m) < 0)

    def at(self, points_m: FloatArray) -> FloatArray:
        """D at points (..., 3) in metres; :data:`OUTSIDE_M` beyond the lattice."""
        shape = points_m.shape[:-1]
        if self.distance_m.size == 0:
            return np.full(shape, OUTSIDE_M)
        interpolate = RegularGridInterpolator(
            self.axes_m, self.distance_m, bounds_error=False, fill_value=OUTSIDE_M
        )
        return np.asarray(interpolate(points_m.reshape(-1, 3)), dtype=np.float64).reshape(shape)


def lesion_distance(
    grid: CartesianGrid,
    log10_omega: FloatArray,
    *,
    solid: BoolArray | None = None,
    sample_m: float = SAMPLE_M,
    pad_m: float = PAD_M,
) -> LesionDistance:
    """The signed distance to the outside of ``log10_omega >= 0`` (a field on ``grid``).

    ``solid`` marks cells no nerve can occupy (bone): they never count as outside
    (their log10 Omega is raised to at least 0, so the edge next to them lies at
    their centres), whatever their own Omega -- a nerve lying on bone is inside when
    the tissue around it is coagulated. The lattice covers the cells with Omega >= 1
    (tissue or bone) and :data:`PAD_M` more; no lesion in tissue, no distance.
    """
    if log10_omega.shape != grid.shape:
        raise ValueError(f"log10_omega shape {log10_omega.shape} != grid shape {grid.shape}")
    if not sample_m > 0:
        raise ValueError(f"sample_m={sample_m!r}: allowed > 0")
    centres = tuple(grid.centres_m(axis) for axis in range(3))
    inside_cells = np.argwhere(log10_omega >= 0.0)
    if solid is not None:
        if solid.shape != grid.shape:
            raise ValueError(f"solid shape {solid.shape} != grid shape {grid.shape}")
        if not np.any((log10_omega >= 0.0) & ~solid):
            inside_cells = inside_cells[:0]
        log10_omega = np.where(solid, np.maximum(log10_omega, 0.0), log10_omega)
    if inside_cells.size == 0:
        empty = np.zeros(0)
        return LesionDistance((empty, empty, empty), np.zeros((0, 0, 0)))
    axes = []
    for axis in range(3):
        low = centres[axis][inside_cells[:, axis].min()] - pad_m
        high = centres[axis][inside_cells[:, axis].max()] + pad_m
        low, high = max(low, centres[axis][0]), min(high, centres[axis][-1])
        count = max(2, int(np.ceil((high - low) / sample_m)) + 1)
        axes.append(low + sample_m * np.arange(count))
    interpolate = RegularGridInterpolator(centres, log10_omega, bounds_error=False, fill_value=None)
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    inside = interpolate(mesh.reshape(-1, 3)).reshape(mesh.shape[:-1]) >= 0.0
    del mesh
    half = 0.5 * sample_m
    if inside.all():
        raise ValueError("the lesion fills the whole grid: enlarge the domain")
    to_outside = np.asarray(distance_transform_edt(inside, sampling=sample_m))
    to_inside = np.asarray(distance_transform_edt(~inside, sampling=sample_m))
    signed = np.where(inside, to_outside - half, -(to_inside - half))
    return LesionDistance((axes[0], axes[1], axes[2]), np.asarray(signed, dtype=np.float64))


def margins3d_m(
    distance: LesionDistance, points_m: FloatArray, nerve_radius_m: FloatArray
) -> FloatArray:
    """``D(P) - a`` (m) at nerve points ``points_m`` (n, m, 3), radius (n,): shape (n, m)."""
    return distance.at(points_m) - nerve_radius_m[:, None]


def captured_length3d_m(
    distance: LesionDistance, centreline_m: FloatArray, nerve_radius_m: float
) -> float:
    """Captured length (m) of one nerve (centreline (m, 3), equally spaced) in the lesion."""
    spacing = float(np.linalg.norm(centreline_m[1] - centreline_m[0]))
    margin = margins3d_m(distance, centreline_m[None, :, :], np.array([nerve_radius_m]))
    return float(longest_inside_run_m(margin, spacing)[0])


def rotation_onto(from_dirs: FloatArray, to_dir: FloatArray) -> FloatArray:
    """Rotation matrices (n, 3, 3), each the smallest turning ``from_dirs[i]`` onto ``to_dir``
    (Rodrigues: Q x = c x + v x x + v (v . x) / (1 + c), v = f x t, c = f . t)."""
    v = np.cross(from_dirs, to_dir[None, :])
    c = from_dirs @ to_dir
    if np.any(c <= -1.0 + 1e-9):
        raise ValueError("a sampled cannula points opposite to the planned one")
    skew = np.zeros((from_dirs.shape[0], 3, 3))
    skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    skew[:, 1, 0], skew[:, 2, 0], skew[:, 2, 1] = v[:, 2], -v[:, 1], v[:, 0]
    outer = v[:, :, None] * v[:, None, :]
    eye = np.broadcast_to(np.eye(3), skew.shape)
    return np.asarray(c[:, None, None] * eye + skew + outer / (1.0 + c)[:, None, None])


def sampled_lengths3d_m(
    distance: LesionDistance,
    centreline_m: FloatArray,
    *,
    planned_tip_m: FloatArray,
    planned_direction: FloatArray,
    tips_m: FloatArray,
    directions: FloatArray,
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
) -> FloatArray:
    """Captured length (m) per sampled cannula (tips (n, 3), directions (n, 3)), the lesion
    carried rigidly with the cannula: each sample's nerve is mapped into the planned
    pose's frame by P' = T_p + Q (P - T), Q the smallest rotation of the sample's axis
    onto the planned one (:func:`rotation_onto`), then measured in the planned lesion.

    ``radius_scale`` (n,) is the planner's lesion-size factor s
    (:func:`rhizo.planning.lesions.radius_scales`), applied as a radial stretch about
    the cannula's axis: with w the part of P' - T_p across the axis, the margin is
    ``s D(T_p + z u + w / s) - a`` (for an axisymmetric lesion, D = R(z) - r, it is the
    2D planner's ``s R(z) - r - a``)."""
    spacing = float(np.linalg.norm(centreline_m[1] - centreline_m[0]))
    rotation = rotation_onto(directions, planned_direction)
    relative = centreline_m[None, :, :] - tips_m[:, None, :]
    moved = np.einsum("nij,nmj->nmi", rotation, relative)
    if radius_scale is None:
        margin = margins3d_m(distance, planned_tip_m + moved, nerve_radius_m)
    else:
        along = moved @ planned_direction
        axial = along[..., None] * planned_direction
        stretched = planned_tip_m + axial + (moved - axial) / radius_scale[:, None, None]
        margin = radius_scale[:, None] * distance.at(stretched) - nerve_radius_m[:, None]
    return longest_inside_run_m(margin, spacing)
