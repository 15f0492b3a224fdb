"""Label volumes: nearest-neighbour resampling against a hand-built volume, the tissue
mapping, NIfTI affines (skipped without nibabel) and the errors at the interface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.bone_tissues import TRABECULAR_BONE
from rhizo.physics.three_d.geometry3d import CORTICAL_BONE, CannulaPose, Scene
from rhizo.physics.three_d.grid3d import CartesianGrid
from rhizo.physics.three_d.label_volume import (
    LabelVolume,
    LabelVolumeError,
    label_solids,
    load_label_volume,
    tissue_by_name,
)


def _volume() -> LabelVolume:
    """4 x 3 x 2 voxels of 1 x 2 x 3 mm, first centre at (10, 20, 30) mm; label = i + 10 j
    + 100 k, so every voxel's label says where it is."""
    i, j, k = np.meshgrid(np.arange(4), np.arange(3), np.arange(2), indexing="ij")
    return LabelVolume(i + 10 * j + 100 * k, (1e-3, 2e-3, 3e-3), (10e-3, 20e-3, 30e-3))


def _grid(x_mm: list[float], y_mm: list[float], z_mm: list[float]) -> CartesianGrid:
    return CartesianGrid(*(np.asarray(v) * 1e-3 for v in (x_mm, y_mm, z_mm)))


def test_each_cell_takes_the_label_of_the_voxel_holding_its_centre() -> None:
    # Voxel i along x covers [9.5 + i, 10.5 + i] mm, j along y [19 + 2 j, 21 + 2 j] mm,
    # k along z [28.5 + 3 k, 31.5 + 3 k] mm.
    grid = _grid([9.5, 9.7, 11.5, 12.9, 13.9], [19.0, 20.0, 23.0, 26.8], [31.3, 31.5, 31.7])
    labels = _volume().resample(grid)
    # Hand: x centres 9.6, 10.6, 12.2, 13.4 -> 0, 1, 2, 3; y centres 19.5, 21.5, 24.9 -> 0,
    # 1, 2; z centres 31.4, 31.6 -> 0 (28.5-31.5), 1.
    expected = np.empty((4, 3, 2), dtype=np.int64)
    for a, i in enumerate((0, 1, 2, 3)):
        for b, j in enumerate((0, 1, 2)):
            for c, k in enumerate((0, 1)):
                expected[a, b, c] = i + 10 * j + 100 * k
    np.testing.assert_array_equal(labels, expected)


def test_labels_map_to_tissues_and_build_a_scene(tmp_path: Path) -> None:
    labels = np.zeros((6, 6, 6), dtype=np.int16)
    labels[:3] = 1  # cortical
    labels[:2] = 2  # trabecular inside
    labels[5] = 7  # mapped to None: surrounding tissue
    path = tmp_path / "bone.npy"
    np.save(path, labels)
    volume = load_label_volume(path, spacing_mm=(1.0, 1.0, 1.0), origin_mm=(-2.5, -2.5, -2.5))
    faces = np.linspace(-3e-3, 3e-3, 13)  # 0.5 mm cells over the 6 mm cube
    grid = CartesianGrid(faces, faces, faces)
    solids = label_solids(
        volume, grid, {1: tissue_by_name("bone-cortical"), 2: TRABECULAR_BONE, 7: None}
    )
    assert [tissue.name for tissue, _ in solids] == ["bone-cortical", "bone-trabecular"]
    # Voxel i covers [-3 + i, -2 + i] mm: cortical voxel 2 is x in [-1, 0] mm -> cells 4, 5;
    # trabecular voxels 0-1 -> x cells 0-3; label 7 (x cells 10-11) stays tissue.
    cortical, trabecular = solids[0][1], solids[1][1]
    assert cortical[4:6].all()
    assert not cortical[:4].any()
    assert not cortical[6:].any()
    assert trabecular[:4].all()
    assert not trabecular[4:].any()
    protocol = LesionProtocol()
    scene = Scene.build(grid, CannulaPose(protocol.electrode), protocol.tissue, solids)
    assert scene.tissues[1] == CORTICAL_BONE
    assert int(np.count_nonzero(scene.labels == 0)) == 6 * 12 * 12


def test_bad_volumes_spacings_labels_and_grids_are_named() -> None:
    with pytest.raises(LabelVolumeError, match="spacing y=0"):
        LabelVolume(np.zeros((2, 2, 2), dtype=np.int64), (1e-3, 0.0, 1e-3))
    with pytest.raises(LabelVolumeError, match="has 2 axes; allowed: 3"):
        LabelVolume(np.zeros((2, 2), dtype=np.int64), (1e-3, 1e-3, 1e-3))
    volume = _volume()
    # One cell, centre (10.3, 21.5, 31.8) mm: voxel (0, 1, 1), label 110.
    inside = _grid([10.0, 10.6], [21.0, 22.0], [31.6, 32.0])
    with pytest.raises(
        LabelVolumeError, match=r"labels \[110\] on the grid have no tissue; allowed labels: \[0\]"
    ):
        label_solids(volume, inside, {})
    outside = _grid([8.0, 9.0], [21.0, 22.0], [31.0, 32.0])
    with pytest.raises(LabelVolumeError, match=r"grid x centres 8\.500 to 8\.500 mm lie outside"):
        volume.resample(outside)
    with pytest.raises(LabelVolumeError, match="unknown; allowed"):
        tissue_by_name("marble")
    with pytest.raises(LabelVolumeError, match="label 0 is the surrounding tissue"):
        label_solids(volume, inside, {0: CORTICAL_BONE})


def test_npy_needs_a_spacing_and_integer_labels(tmp_path: Path) -> None:
    path = tmp_path / "v.npy"
    np.save(path, np.full((2, 2, 2), 0.5))
    with pytest.raises(LabelVolumeError, match="spacing_mm is required"):
        load_label_volume(path)
    with pytest.raises(LabelVolumeError, match="not integer labels"):
        load_label_volume(path, spacing_mm=(1.0, 1.0, 1.0))
    with pytest.raises(LabelVolumeError, match="unknown format"):
        load_label_volume(tmp_path / "v.mha", spacing_mm=(1.0, 1.0, 1.0))


def test_nifti_spacing_origin_and_flipped_axes(tmp_path: Path) -> None:
    nibabel = pytest.importorskip("nibabel")
    labels = _volume().labels.astype(np.int16)
    # x flipped: voxel i sits at x = 13 - i mm; y spacing 2 mm from 20 mm; z 3 mm from 30 mm.
    affine = np.diag([-1.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = (13.0, 20.0, 30.0)
    path = tmp_path / "v.nii.gz"
    nibabel.save(nibabel.Nifti1Image(labels, affine), str(path))
    volume = load_label_volume(path)
    assert volume.spacing_m == pytest.approx((1e-3, 2e-3, 3e-3))
    assert volume.origin_m == pytest.approx((10e-3, 20e-3, 30e-3))
    # After turning x round, the voxel at x = 10 mm is the file's last (i = 3).
    np.testing.assert_array_equal(volume.labels, labels[::-1])
    rotated = np.array(
        [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0, 0, 0, 1]]
    )
    nibabel.save(nibabel.Nifti1Image(labels, rotated), str(tmp_path / "r.nii"))
    with pytest.raises(LabelVolumeError, match="rotated or sheared"):
        load_label_volume(tmp_path / "r.nii")
