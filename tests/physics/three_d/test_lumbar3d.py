"""The parametric lumbar level: voxelised volumes against exact ones, the cannula resting
on the bone, and what bone does to a lesion beside it.

Volumes: cell-centre voxelisation of an axis-aligned block on a uniform grid counts,
per axis, between L/h - 1 and L/h + 1 centres, so the voxel volume lies between the
products of (L_i -/+ h) (the bounds asserted); the level's union and its trabecular
core are hand-computed below by inclusion-exclusion of boxes.

Bone beside the cannula: 18 G / 10 mm / 80 C / 60 s in muscle-in-vivo, 0.75 mm
cells, the cannula parallel to the nerve 2 mm across it, resting on the TP root.
Measured: impedance 170.6 ohm without bone, 213.5 ohm with it, 170.3 ohm with the
bone's conductivity set to the muscle's; the lesion's reach below the cannula's
axis (into the bone side) 4.59 mm without bone, 3.30 mm with it (4.84 mm with the
muscle's conductivity), its reach away from the bone 4.86 -> 5.86 mm.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator

from rhizo.physics.three_d.bone_tissues import TRABECULAR_BONE
from rhizo.physics.three_d.engine3d import Lesion3DResult, simulate3d
from rhizo.physics.three_d.geometry3d import (
    CORTICAL_BONE,
    CannulaPose,
    Scene,
    grid_around_cannula,
)
from rhizo.physics.three_d.grid3d import CartesianGrid
from rhizo.physics.three_d.lumbar3d import (
    LUMBAR_SOURCES,
    LumbarLevel,
    NerveBlock,
    NerveCourse,
    ala_sap_level,
    lumbar_level,
    tp_sap_level,
)
from rhizo.planning.lesions import planner_protocol


def _uniform(
    low_mm: tuple[float, float, float], high_mm: tuple[float, float, float], h_mm: float
) -> CartesianGrid:
    faces = [np.arange(lo, hi + 1e-9, h_mm) * 1e-3 for lo, hi in zip(low_mm, high_mm, strict=True)]
    return CartesianGrid(faces[0], faces[1], faces[2])


def _voxel_volume_mm3(mask: np.ndarray, grid: CartesianGrid) -> float:
    return float(np.sum(grid.volume_m3[mask])) * 1e9


def test_straight_block_voxel_volume_lies_within_the_counting_bounds() -> None:
    block = NerveBlock(
        "box", across_mm=(-3.13, 4.07), along_mm=(-2.21, 5.49), height_mm=(-1.37, 2.91)
    )
    lengths = (7.2, 7.7, 4.28)
    assert block.volume_mm3 == pytest.approx(np.prod(lengths), rel=1e-12)
    h = 0.25
    grid = _uniform((-4.0, -6.0, -3.0), (7.0, 5.0, 4.0), h)
    x, y, z = (c * 1e3 for c in grid.mesh_m)
    voxels = _voxel_volume_mm3(block.signed_distance_mm(x, y, z) <= 0, grid)
    low = np.prod([length - h for length in lengths])
    high = np.prod([length + h for length in lengths])
    assert low <= voxels <= high
    assert voxels == pytest.approx(block.volume_mm3, rel=0.03)


def test_curved_block_voxel_volume_approaches_the_annular_sector() -> None:
    # kappa = 1/25 per mm: n in [1, 5] mm (rho 26-30 mm), s in [-6, 6] mm, z in [-2, 2]:
    # 0.5 * (12 / 25) * (30^2 - 26^2) * 4 = 215.04 mm^3.
    block = NerveBlock(
        "arc",
        across_mm=(1.0, 5.0),
        along_mm=(-6.0, 6.0),
        height_mm=(-2.0, 2.0),
        curvature_per_mm=0.04,
    )
    assert block.volume_mm3 == pytest.approx(215.04, rel=1e-12)
    grid = _uniform((-8.1, -7.1, -3.1), (8.1, 1.1, 3.1), 0.1)
    x, y, z = (c * 1e3 for c in grid.mesh_m)
    voxels = _voxel_volume_mm3(block.signed_distance_mm(x, y, z) <= 0, grid)
    assert voxels == pytest.approx(215.04, rel=0.01)


def test_tp_sap_union_and_trabecular_core_match_inclusion_exclusion() -> None:
    # a = 0.5 mm: floor n [-15, 8.5] x s [-6, 6] x z [-6.5, -0.5] = 1692; SAP n [0.5, 8.5]
    # x s [-7.5, 7.5] x z [-6.5, 9.5] = 1920; overlap 8 x 12 x 6 = 576: union 3036 mm^3.
    # Core (1 mm in from each block): 21.5 x 10 x 4 = 860, 6 x 13 x 14 = 1092, overlap
    # 6 x 10 x 4 = 240: 1712 mm^3.
    level = tp_sap_level(NerveCourse(radius_mm=0.5))
    grid = _uniform((-8.1, -9.1, -7.1), (8.1, 16.1, 10.1), 0.25)
    cortical, trabecular = level.masks(grid)
    assert not np.any(cortical & trabecular)
    assert _voxel_volume_mm3(cortical | trabecular, grid) == pytest.approx(3036.0, rel=0.015)
    assert _voxel_volume_mm3(trabecular, grid) == pytest.approx(1712.0, rel=0.02)


def test_ala_level_has_the_groove_of_the_nerves_depth() -> None:
    level = ala_sap_level(NerveCourse(radius_mm=0.75, groove_depth_mm=0.75))
    top = np.array([0.0])
    # In the groove (y = 0) the bone's top is the nerve's floor, z = -0.75; on the
    # shoulder (y = 3, towards +y) it is the planner's bone plane, z = -0.75 + 0.75 = 0.
    for y_mm, z_top in ((0.0, -0.75), (3.0, 0.0)):
        below = level.signed_distance_mm(top, np.array([y_mm]), np.array([z_top - 0.01]))
        above = level.signed_distance_mm(top, np.array([y_mm]), np.array([z_top + 0.01]))
        assert below[0] < 0 < above[0]
    # The S1 SAP rises on the -y side, its face touching the nerve (y = -0.75).
    assert level.signed_distance_mm(top, np.array([-1.0]), np.array([5.0]))[0] < 0


def test_every_dimension_has_a_source_and_an_evidence_level() -> None:
    assert set(LUMBAR_SOURCES) >= {"CORTEX_MM", "TP_LATERAL_MM", "SAP_HEIGHT_MM", "ALA_WIDTH_MM"}
    for note, evidence in LUMBAR_SOURCES.values():
        assert note
        assert evidence in ("read", "read-secondary", "recalled", "assumption")
    assert "thermal_conductivity_w_per_m_k" in TRABECULAR_BONE.unverified


def test_bad_blocks_and_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="across_mm"):
        NerveBlock("bad", across_mm=(2.0, 1.0), along_mm=(0.0, 1.0), height_mm=(0.0, 1.0))
    with pytest.raises(ValueError, match="radius_mm"):
        NerveCourse(radius_mm=0.0)
    with pytest.raises(ValueError, match="kind"):
        lumbar_level("cervical", NerveCourse(radius_mm=0.5))  # type: ignore[arg-type]


PROTOCOL = planner_protocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=60)
NERVE_RADIUS_MM = 0.5
AXIS_Z_MM = -NERVE_RADIUS_MM + PROTOCOL.electrode.radius_m * 1e3  # metal on the TP's top
POSE = CannulaPose(
    PROTOCOL.electrode, tip_m=(5e-3, 2e-3, AXIS_Z_MM * 1e-3), direction=(1.0, 0.0, 0.0)
)
GRID = grid_around_cannula(POSE, cell_m=0.75e-3, fine_margin_m=4e-3, half_width_m=15e-3)
LEVEL = tp_sap_level(NerveCourse(radius_mm=NERVE_RADIUS_MM))


def _with_tissue_conductivity(level: LumbarLevel) -> LumbarLevel:
    sigma = {"electrical_conductivity_s_per_m": PROTOCOL.tissue.electrical_conductivity_s_per_m}
    return level.with_tissues(
        CORTICAL_BONE.model_copy(update=sigma), TRABECULAR_BONE.model_copy(update=sigma)
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, Lesion3DResult]:
    out = {}
    for name, level in (
        ("none", None),
        ("bone", LEVEL),
        ("sigma", _with_tissue_conductivity(LEVEL)),
    ):
        solids = level.solids(GRID) if level is not None else ()
        out[name] = simulate3d(PROTOCOL, Scene.build(GRID, POSE, PROTOCOL.tissue, solids))
    return out


def _reach_mm(result: Lesion3DResult) -> tuple[float, float]:
    """How far Omega >= 1 reaches below and above the axis, under the tip's middle (mm)."""
    interpolate = RegularGridInterpolator(
        tuple(GRID.centres_m(a) for a in range(3)), result.log10_omega
    )
    z = np.linspace(-10e-3, 10e-3, 4001)
    points = np.column_stack([np.zeros_like(z), np.full_like(z, 2e-3), z])
    inside = z[interpolate(points) >= 0.0] * 1e3
    return AXIS_Z_MM - float(inside.min()), float(inside.max()) - AXIS_Z_MM


def test_the_cannula_rests_on_the_bone() -> None:
    assert LEVEL.clearance_mm(POSE) == pytest.approx(0.0, abs=1e-9)
    lowered = CannulaPose(
        POSE.electrode, tip_m=(5e-3, 2e-3, (AXIS_Z_MM - 0.3) * 1e-3), direction=(1.0, 0.0, 0.0)
    )
    assert LEVEL.clearance_mm(lowered) == pytest.approx(-0.3, abs=1e-9)


def test_bone_raises_impedance_and_a_tissue_conductivity_bone_does_not(
    runs: dict[str, Lesion3DResult],
) -> None:
    ohm = {name: float(run.traces["impedance_ohm"][-1]) for name, run in runs.items()}
    # Measured: 170.6, 213.5 and 170.3 ohm.
    assert ohm["bone"] > 1.15 * ohm["none"]
    assert not ohm["sigma"] > 1.15 * ohm["none"]
    assert ohm["sigma"] == pytest.approx(ohm["none"], rel=0.03)
    for run in runs.values():
        assert run.traces["tip_temperature_c"][-1] == pytest.approx(80.0, abs=1e-6)


def test_bone_shortens_the_lesion_on_its_side(runs: dict[str, Lesion3DResult]) -> None:
    below = {name: _reach_mm(run)[0] for name, run in runs.items()}
    above = {name: _reach_mm(run)[1] for name, run in runs.items()}
    # Measured below the axis: 4.59 (none), 3.30 (bone), 4.84 mm (bone at muscle sigma).
    assert below["bone"] < below["none"] - 0.75
    assert not below["sigma"] < below["none"] - 0.75
    # Away from the bone the lesion grows (4.86 -> 5.86 mm): the current goes that way.
    assert above["bone"] > above["none"] + 0.5
