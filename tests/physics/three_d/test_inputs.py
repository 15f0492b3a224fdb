"""Bad input to the 3D engine's builders: a clear ValueError naming the value."""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.electrode import Electrode
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.geometry3d import (
    CORTICAL_BONE,
    CannulaPose,
    Scene,
    box_mask,
    grid_around_cannula,
)
from rhizo.physics.three_d.grid3d import graded_faces

ELECTRODE = Electrode(gauge=18, tip_length_mm=10)


def test_zero_direction_is_refused() -> None:
    with pytest.raises(ValueError, match=r"direction=\(0, 0, 0\) must be a non-zero"):
        CannulaPose(ELECTRODE, direction=(0, 0, 0))


def test_direction_is_normalised_and_the_local_frame_is_exact() -> None:
    pose = CannulaPose(ELECTRODE, tip_m=(1.0, 2.0, 3.0), direction=(0, 3, 4))
    assert pose.direction == pytest.approx((0.0, 0.6, 0.8))
    # A point 2 m behind the tip on the axis, then 1 m off it along x.
    r, z = pose.local(np.array([2.0]), np.array([2.0 - 1.2]), np.array([3.0 - 1.6]))
    assert float(z[0]) == pytest.approx(-2.0)
    assert float(r[0]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fine_low_m": -2.0}, r"fine zone \[-2, 0.5\] m must lie inside \[-1, 1\] m"),
        ({"cell_m": 0.0}, r"cell_m=0 must be > 0"),
        ({"growth": 0.9}, r"growth=0.9 must be >= 1"),
    ],
)
def test_graded_faces_name_the_bad_argument(kwargs: dict[str, float], message: str) -> None:
    arguments = {
        "low_m": -1.0,
        "high_m": 1.0,
        "fine_low_m": -0.5,
        "fine_high_m": 0.5,
        "cell_m": 0.1,
        "growth": 1.2,
    } | kwargs
    with pytest.raises(ValueError, match=message):
        graded_faces(**arguments)


def test_graded_faces_are_uniform_inside_and_grow_outside() -> None:
    faces = graded_faces(
        low_m=-1.0, high_m=1.0, fine_low_m=-0.2, fine_high_m=0.2, cell_m=0.1, growth=1.2
    )
    widths = np.diff(faces)
    assert faces[0] == -1.0
    assert faces[-1] == 1.0
    inside = (faces[:-1] >= -0.2 - 1e-12) & (faces[1:] <= 0.2 + 1e-12)
    assert np.allclose(widths[inside], 0.1)
    outer = widths[faces[1:] > 0.2 + 1e-12]
    assert outer[0] == pytest.approx(0.12)  # 0.1 x 1.2


def test_box_mask_and_scene_shape_checks() -> None:
    pose = CannulaPose(ELECTRODE)
    grid = grid_around_cannula(pose, cell_m=1e-3, fine_margin_m=1e-3, half_width_m=6e-3)
    with pytest.raises(ValueError, match="box low"):
        box_mask(grid, (0.0, 0.0, 0.0), (0.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="mask shape"):
        Scene.build(grid, pose, CORTICAL_BONE, ((CORTICAL_BONE, np.zeros((2, 2, 2), bool)),))


def test_scene_tissue_must_be_the_protocols() -> None:
    protocol = LesionProtocol()
    pose = CannulaPose(protocol.electrode)
    grid = grid_around_cannula(pose, cell_m=1e-3, fine_margin_m=1e-3, half_width_m=6e-3)
    scene = Scene.build(grid, pose, CORTICAL_BONE)
    with pytest.raises(ValueError, match="scene tissue 'bone-cortical' != protocol tissue"):
        simulate3d(protocol, scene)
