"""Tissues from a segmented image: a voxel label volume resampled onto the 3D grid.

A label volume is an integer array ``labels[i, j, k]`` whose voxel (i, j, k) has
its centre at ``origin + (i dx, j dy, k dz)`` (metres, the grid's frame). It is read
from NumPy ``.npy`` (the spacing given by the caller, in mm) or NIfTI
``.nii``/``.nii.gz`` (nibabel, the optional ``imaging`` extra: spacing and origin
from the header's affine, which must be axis-aligned; flipped axes are turned
round). Each grid cell takes the label of the voxel containing its centre
(nearest neighbour: ``i = floor((x - origin) / dx + 1/2)``); a user mapping turns
labels into tissues (label 0, or a label mapped to None, is the surrounding
tissue), giving the ``solids`` of :meth:`rhizo.physics.three_d.geometry3d.Scene.build`.

Bad input raises :class:`LabelVolumeError` (a ``ValueError``) naming the field, the
value and what is allowed: wrong shape or dtype, spacing <= 0, an unknown label, a
grid reaching outside the volume.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.bone_tissues import SOLID_TISSUES
from rhizo.physics.three_d.grid3d import CartesianGrid
from rhizo.physics.tissue import TISSUES, Tissue

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Vector = tuple[float, float, float]

#: Relative size of an affine's off-diagonal terms still taken as axis-aligned.
AXIS_ALIGNED_TOLERANCE = 1e-6


class LabelVolumeError(ValueError):
    """A label volume, its spacing, its mapping or the grid is not usable (names which)."""


@dataclass(frozen=True)
class LabelVolume:
    """Integer labels per voxel, voxel spacing and the first voxel's centre (m)."""

    labels: IntArray
    spacing_m: Vector
    origin_m: Vector = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.labels.ndim != 3:
            raise LabelVolumeError(
                f"labels: shape {self.labels.shape} has {self.labels.ndim} axes; allowed: 3"
            )
        if min(self.labels.shape) < 1:
            raise LabelVolumeError(f"labels: shape {self.labels.shape}; every axis needs >= 1")
        for axis, value in zip("xyz", self.spacing_m, strict=True):
            if not (math.isfinite(value) and value > 0):
                raise LabelVolumeError(f"spacing {axis}={value!r} m: allowed a finite number > 0")
        for axis, value in zip("xyz", self.origin_m, strict=True):
            if not math.isfinite(value):
                raise LabelVolumeError(f"origin {axis}={value!r} m: allowed a finite number")

    def extent_m(self, axis: int) -> tuple[float, float]:
        """The span (m) the voxels of ``axis`` cover: first and last voxel's outer faces."""
        low = self.origin_m[axis] - 0.5 * self.spacing_m[axis]
        return low, low + self.labels.shape[axis] * self.spacing_m[axis]

    def resample(self, grid: CartesianGrid) -> IntArray:
        """The label of the voxel containing each grid cell's centre (nearest neighbour)."""
        index = []
        for axis, name in enumerate("xyz"):
            centres = grid.centres_m(axis)
            low, high = self.extent_m(axis)
            if centres[0] < low or centres[-1] >= high:
                raise LabelVolumeError(
                    f"grid {name} centres {centres[0] * 1e3:.3f} to {centres[-1] * 1e3:.3f} mm lie "
                    f"outside the volume's {low * 1e3:.3f} to {high * 1e3:.3f} mm; allowed: a "
                    "grid inside the volume"
                )
            found = np.floor((centres - self.origin_m[axis]) / self.spacing_m[axis] + 0.5)
            index.append(np.clip(found.astype(np.int64), 0, self.labels.shape[axis] - 1))
        return np.asarray(self.labels[np.ix_(index[0], index[1], index[2])], dtype=np.int64)


def tissue_by_name(name: str) -> Tissue:
    """A solid (bone) or catalogue tissue by name; :class:`LabelVolumeError` names the allowed."""
    found = SOLID_TISSUES.get(name) or TISSUES.get(name)
    if found is None:
        allowed = ", ".join(sorted({*SOLID_TISSUES, *TISSUES}))
        raise LabelVolumeError(f"tissue {name!r}: unknown; allowed: {allowed}")
    return found


def label_solids(
    volume: LabelVolume,
    grid: CartesianGrid,
    mapping: Mapping[int, Tissue | None],
) -> tuple[tuple[Tissue, BoolArray], ...]:
    """``solids`` for ``Scene.build``: one (tissue, mask) per label mapped to a tissue.

    Label 0 and labels mapped to None are the surrounding tissue. Every label found
    on the grid must be 0 or in ``mapping``; labels mapped to the same tissue share
    one solid.
    """
    if 0 in mapping and mapping[0] is not None:
        raise LabelVolumeError("mapping: label 0 is the surrounding tissue; allowed: None")
    on_grid = volume.resample(grid)
    found = {int(v) for v in np.unique(on_grid)}
    unknown = sorted(found - set(mapping) - {0})
    if unknown:
        raise LabelVolumeError(
            f"labels {unknown} on the grid have no tissue; allowed labels: {sorted({0, *mapping})}"
        )
    masks: dict[str, tuple[Tissue, BoolArray]] = {}
    for label in sorted(found - {0}):
        tissue = mapping[label]
        if tissue is None:
            continue
        mask = on_grid == label
        if tissue.name in masks:
            masks[tissue.name] = (tissue, masks[tissue.name][1] | mask)
        else:
            masks[tissue.name] = (tissue, mask)
    return tuple(masks.values())


def _integer_labels(data: NDArray[np.generic], source: str) -> IntArray:
    if data.dtype.kind in "iub":
        return np.asarray(data, dtype=np.int64)
    if data.dtype.kind == "f":
        values = np.asarray(data, dtype=np.float64)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64)
    raise LabelVolumeError(f"{source}: dtype {data.dtype} is not integer labels; allowed: integers")


def load_label_volume(
    path: Path,
    *,
    spacing_mm: Vector | None = None,
    origin_mm: Vector = (0.0, 0.0, 0.0),
) -> LabelVolume:
    """Read ``path``: ``.npy`` needs ``spacing_mm``; NIfTI takes spacing and origin from its
    affine (``spacing_mm``, if given, must agree with it)."""
    name = path.name.lower()
    if name.endswith(".npy"):
        if spacing_mm is None:
            raise LabelVolumeError(f"{path.name}: spacing_mm is required for a .npy volume")
        labels = _integer_labels(np.load(path, allow_pickle=False), path.name)
        return LabelVolume(
            labels,
            tuple(v * 1e-3 for v in spacing_mm),  # type: ignore[arg-type]
            tuple(v * 1e-3 for v in origin_mm),  # type: ignore[arg-type]
        )
    if name.endswith((".nii", ".nii.gz")):
        return _load_nifti(path, spacing_mm)
    raise LabelVolumeError(f"{path.name}: unknown format; allowed: .npy, .nii, .nii.gz")


def _load_nifti(path: Path, spacing_mm: Vector | None) -> LabelVolume:
    try:
        import nibabel
    except ImportError:
        raise LabelVolumeError(
            f"{path.name}: reading NIfTI needs nibabel: pip install 'rhizo[imaging]'"
        ) from None
    # Any: nibabel is an optional extra (typed when installed, absent in the base install).
    image: Any = nibabel.load(str(path))
    data = _integer_labels(np.asanyarray(image.dataobj), path.name)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    affine = np.asarray(image.affine, dtype=np.float64)
    linear = affine[:3, :3]
    off = linear - np.diag(np.diag(linear))
    if np.max(np.abs(off)) > AXIS_ALIGNED_TOLERANCE * np.max(np.abs(linear)):
        raise LabelVolumeError(
            f"{path.name}: affine is rotated or sheared; allowed: an axis-aligned affine "
            "(resample the image onto its axes first)"
        )
    diagonal = np.diag(linear)
    origin = affine[:3, 3].copy()
    for axis in range(3):
        if diagonal[axis] < 0:  # flipped axis: turn it round, the first voxel moves
            data = np.flip(data, axis=axis)
            origin[axis] += diagonal[axis] * (data.shape[axis] - 1)
    spacing = np.abs(diagonal)
    if spacing_mm is not None and not np.allclose(spacing, spacing_mm, rtol=1e-6):
        raise LabelVolumeError(
            f"spacing_mm={spacing_mm}: the NIfTI header says {tuple(spacing.tolist())} mm"
        )
    return LabelVolume(
        np.ascontiguousarray(data),
        tuple(float(v) * 1e-3 for v in spacing),  # type: ignore[arg-type]
        tuple(float(v) * 1e-3 for v in origin),  # type: ignore[arg-type]
    )
