"""Multi-tine electrodes: tines are extra metal at the tip's potential (same group).

Exact statement: a blunt cannula's metal is a cylinder of radius r capped by a
hemisphere centred r behind the apex. One tine of the same radius, leaving that
centre straight ahead (angle 0) for a length l, is a capsule whose union with the
cannula is exactly a blunt cannula whose active tip is l longer: the same level set
cell by cell, so the same resistance with grounded far faces (measured: equal to
1e-9). Three tines at 30 degrees add bare metal off the axis, so the resistance
falls (measured 0.35 mm-radius tines, 4 mm: below 0.9 of the plain tip's).
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.electrode import Electrode
from rhizo.physics.three_d.cannulae3d import TRIDENT_LIKE_TINES, Cannula3D, Tines
from rhizo.physics.three_d.fv3d import Geometry3D
from rhizo.physics.three_d.geometry3d import CannulaPose, grid_around_cannulae
from rhizo.physics.three_d.potential3d import PotentialSolver3D

SIGMA = 0.5


def _resistance(
    cannula: Cannula3D, reference: Cannula3D, cell_m: float = 0.35e-3, far: str = "infinite"
) -> float:
    grid = grid_around_cannulae((reference,), cell_m=cell_m, fine_margin_m=2e-3, margin_m=8e-3)
    geometry = Geometry3D.build(grid, cannula.pose, (cannula,))
    solver = PotentialSolver3D(geometry, far)  # type: ignore[arg-type]
    return solver.solve(np.full(grid.shape, SIGMA)).resistance_ohm


def test_a_straight_tine_of_the_cannula_radius_is_a_longer_tip() -> None:
    short = Electrode(gauge=18, tip_length_mm=6.0, tip_kind="blunt")
    long = Electrode(gauge=18, tip_length_mm=9.0, tip_kind="blunt")
    radius = short.radius_m
    tine = Tines(count=1, length_m=3e-3, angle_deg=0.0, radius_m=radius, exit_back_m=radius)
    tined = Cannula3D(CannulaPose(short, tip_m=(0.0, 0.0, 0.0)), tines=tine)
    longer = Cannula3D(CannulaPose(long, tip_m=(0.0, 0.0, 3e-3)))
    grid = grid_around_cannulae((longer,), cell_m=0.35e-3, fine_margin_m=2e-3, margin_m=8e-3)
    a = Geometry3D.build(grid, tined.pose, (tined,))
    b = Geometry3D.build(grid, longer.pose, (longer,))
    assert np.array_equal(a.metal, b.metal)
    assert np.array_equal(a.active, b.active)
    # Grounded far faces: the "infinite" Robin term is centred on each pose's own tip
    # centre (1.5 mm apart here), which differs by 0.04 %.
    r_tined = _resistance(tined, longer, far="grounded")
    r_longer = _resistance(longer, longer, far="grounded")
    assert r_tined == pytest.approx(r_longer, rel=1e-9)


def test_three_tines_lower_the_resistance_and_keep_the_threefold_symmetry() -> None:
    electrode = Electrode(gauge=18, tip_length_mm=5.0, tip_kind="blunt")
    pose = CannulaPose(electrode)
    # Tines resolvable on 0.3 mm cells (radius 0.35 mm); the Trident-like 0.18 mm
    # wire needs 0.15 mm cells.
    tines = Tines(count=3, length_m=4e-3, angle_deg=30.0, radius_m=0.35e-3)
    tined = Cannula3D(pose, tines=tines)
    plain = Cannula3D(pose)
    r_plain = _resistance(plain, tined, 0.3e-3)
    r_tined = _resistance(tined, tined, 0.3e-3)
    assert r_tined < 0.9 * r_plain
    # The tines leave at azimuths 0, 120 and 240 degrees about the axis.
    segments = tines.segments(pose)
    ends = np.array([end for _, end in segments])
    assert np.allclose(ends[:, 2], 4e-3 * np.cos(np.radians(30.0)), atol=1e-12)
    radial = ends[:, :2]
    assert np.allclose(np.linalg.norm(radial, axis=1), 4e-3 * np.sin(np.radians(30.0)))
    assert np.allclose(radial.sum(axis=0), 0.0, atol=1e-12)


def test_unresolved_tines_are_refused_with_the_fix() -> None:
    electrode = Electrode(gauge=18, tip_length_mm=5.0)
    tined = Cannula3D(CannulaPose(electrode), tines=TRIDENT_LIKE_TINES)
    grid = grid_around_cannulae((tined,), cell_m=0.8e-3, fine_margin_m=1e-3, margin_m=4e-3)
    with pytest.raises(
        ValueError,
        match=r"tines \[[0-9, ]+\] \(radius 0.00018 m\) are not resolved, .*: refine",
    ):
        Geometry3D.build(grid, tined.pose, (tined,))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", 0, "count=0 must be >= 1"),
        ("angle_deg", 91.0, "angle_deg=91 must be 0 to 90"),
        ("length_m", -1e-3, "length_m=-0.001 must be finite and > 0"),
    ],
)
def test_bad_tines_name_the_field(field: str, value: float, message: str) -> None:
    arguments = {"count": 3, "length_m": 4e-3, "angle_deg": 30.0, "radius_m": 0.2e-3}
    arguments[field] = value
    with pytest.raises(ValueError, match=message):
        Tines(**arguments)  # type: ignore[arg-type]


def test_a_tined_lesion_is_wider_and_its_thermocouple_holds_the_set_point() -> None:
    from rhizo.physics.protocol import LesionProtocol
    from rhizo.physics.three_d.engine3d import simulate3d
    from rhizo.physics.three_d.geometry3d import Scene

    protocol = LesionProtocol(
        gauge=18, tip_length_mm=5, set_temperature_c=80, duration_s=10, ramp_s=5
    )
    pose = CannulaPose(protocol.electrode)
    # Fat tines (0.5 mm radius) so that 0.5 mm cells resolve them: a CI-sized run.
    tines = Tines(count=3, length_m=4e-3, angle_deg=30.0, radius_m=0.5e-3)
    tined = Cannula3D(pose, tines=tines)
    grid = grid_around_cannulae((tined,), cell_m=0.5e-3, fine_margin_m=1e-3, margin_m=5e-3)
    plain = simulate3d(protocol, Scene.build(grid, pose, protocol.tissue))
    wide = simulate3d(protocol, Scene.build_multi(grid, (tined,), protocol.tissue))
    assert wide.traces["tip_temperature_c"][-1] == pytest.approx(80.0, abs=1e-6)
    assert wide.lesion.width_mm > plain.lesion.width_mm
    assert wide.lesion.distal_extension_mm > plain.lesion.distal_extension_mm
