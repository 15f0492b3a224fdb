"""Nerve capture on the 3D engine, the cannula against the bone of a lumbar level.

For one target nerve and one cannula setting:

1. the planned pose is the planner's own (:func:`rhizo.planning.placement.planned_pose`:
   angle and offset in the nerve frame, the metal lowered until it meets the bone
   plane or the nerve, :mod:`rhizo.planning.tipdepth`); its bone plane is the top of
   the parametric level's floor (TP root) or the ala's shoulder, so the metal rests
   on the 3D bone (:meth:`rhizo.physics.three_d.lumbar3d.LumbarLevel.clearance_mm`
   is reported, about 0; a pose whose metal enters the bone is refused);
2. the bone of the nerve's level (:func:`bone_level`: the TP root and SAP for a
   lumbar medial branch, the sacral ala and S1 SAP for the L5 dorsal ramus) is
   voxelised on a graded grid around the cannula, and
   :func:`rhizo.physics.three_d.engine3d.simulate3d` runs in the planner's tissue
   (:data:`rhizo.physics.tissue.CLINICAL_TISSUE`, at body temperature);
3. the captured length at the plan is measured on the 3D lesion
   (:mod:`rhizo.planning.capture3d`), bone cells never counting as outside the
   lesion (no nerve lies in them; Omega in bone, computed with a stand-in damage
   model, is not used);
4. the capture probability uses the planner's own sampled poses
   (:func:`rhizo.planning.pose_set.draw_pose_set`, the same seed gives the same
   poses as the axisymmetric path): :data:`SAMPLED`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannula
from rhizo.physics.three_d.grid3d import CartesianGrid
from rhizo.physics.three_d.lumbar3d import LevelKind, LumbarLevel, NerveCourse, lumbar_level
from rhizo.physics.three_d.measure3d import Lesion3DDimensions
from rhizo.planning.anatomy import Nerve
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM
from rhizo.planning.capture3d import captured_length3d_m, lesion_distance, sampled_lengths3d_m
from rhizo.planning.lesions import LESION_RADIUS_CV, LesionProfile
from rhizo.planning.montecarlo import CENTRELINE_SPACING_MM, CaptureEstimate, estimate_from_lengths
from rhizo.planning.placement import CannulaPlacement, PlacementError
from rhizo.planning.pose_set import draw_pose_set

FloatArray = NDArray[np.float64]

#: Joints with a parametric level (their nerves' landmarks are the TP-SAP junction or the ala).
SUPPORTED_JOINTS = ("L4-L5", "L5-S1")
#: The 3D grid: cells near the tip (mm), half the cube's side (mm), the fine zone's margin.
DEFAULT_CELL_MM = 0.5
DEFAULT_HALF_WIDTH_MM = 15.0
FINE_MARGIN_MM = 4.0
#: What the 3D capture probability samples (reported with every result).
SAMPLED = (
    "the 3D lesion is simulated once, at the planned pose with the bone fixed to the "
    "nerve; each sampled pose (the planner's placement error and anatomical variation, "
    "same seed and poses as the axisymmetric path) carries that lesion rigidly with its "
    "cannula (smallest rotation of the axis onto the planned one) and scales it "
    "radially by the planner's lesion-size factor; the bone's effect on the lesion is "
    "not recomputed per sample"
)


class BonePoseError(ValueError):
    """The planned cannula's metal enters the level's bone (names the placement)."""


def nerve_course(nerve: Nerve) -> NerveCourse:
    """The planner's nerve as the physics layer's :class:`NerveCourse`."""
    return NerveCourse(
        radius_mm=nerve.diameter_mm / 2,
        groove_depth_mm=nerve.groove_depth_mm,
        curvature_per_mm=nerve.curvature_per_mm,
    )


def level_kind(nerve: Nerve) -> LevelKind:
    """Which parametric level lies under ``nerve``, from its landmark."""
    landmark = nerve.landmark.lower()
    if "sacral ala" in landmark:
        return "ala_sap"
    if "transverse process" in landmark:
        return "tp_sap"
    raise ValueError(
        f"no parametric bone for {nerve.name!r} (landmark {nerve.landmark!r}); "
        f"allowed joints: {', '.join(SUPPORTED_JOINTS)}"
    )


def bone_level(nerve: Nerve) -> LumbarLevel:
    """The parametric lumbar level around ``nerve`` (:mod:`rhizo.physics.three_d.lumbar3d`)."""
    return lumbar_level(level_kind(nerve), nerve_course(nerve))


@dataclass(frozen=True)
class Capture3D:
    """One nerve's capture on a 3D lesion, with the run's diagnostics."""

    estimate: CaptureEstimate
    lesion: Lesion3DDimensions
    bone: LevelKind | None
    bone_clearance_mm: float | None
    cells: int
    runtime_s: float
    final_impedance_ohm: float
    final_power_w: float
    peak_tissue_temperature_c: float
    #: The run's grid, log10 Omega, tissue labels and pose (``keep_fields=True``), for plots.
    fields: tuple[CartesianGrid, FloatArray, NDArray[np.int8], CannulaPose] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the estimate's fields, the lesion and the run."""
        return {
            **self.estimate.to_dict(),
            "lesion_3d_mm": self.lesion.model_dump(),
            "bone": self.bone,
            "bone_clearance_mm": (
                None if self.bone_clearance_mm is None else round(self.bone_clearance_mm, 4)
            ),
            "cells": self.cells,
            "runtime_s": round(self.runtime_s, 2),
            "final_impedance_ohm": round(self.final_impedance_ohm, 2),
            "final_power_w": round(self.final_power_w, 3),
            "peak_tissue_temperature_c": round(self.peak_tissue_temperature_c, 2),
        }


def _describing_profile(protocol: LesionProtocol) -> LesionProfile:
    """A profile carrying the lesion's tissue and boundary for the estimate's labels only
    (:meth:`LesionProfile.describe`); its R(z) is empty and never evaluated."""
    return LesionProfile(
        z_m=np.array([-protocol.tip_length_mm * 1e-3, 0.0]),
        radius_m=np.zeros(2),
        tip_length_m=protocol.tip_length_mm * 1e-3,
        source="solver",
        provenance="3D engine (rhizo.physics.three_d)",
        tissue=protocol.tissue.name,
        boundary="arrhenius",
        boundary_definition=protocol.tissue.lesion_boundary_definition,
        cannula_radius_m=protocol.electrode.radius_m,
    )


def capture3d(
    protocol: LesionProtocol,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    bone: bool = True,
    level: LumbarLevel | None = None,
    cell_mm: float = DEFAULT_CELL_MM,
    half_width_mm: float = DEFAULT_HALF_WIDTH_MM,
    samples: int = 1000,
    seed: int | None = 0,
    min_length_mm: float = MIN_CAPTURED_LENGTH_MM,
    errors: PlacementError | None = None,
    radius_cv: float = LESION_RADIUS_CV,
    progress: Callable[[str], None] | None = None,
    keep_fields: bool = False,
) -> Capture3D:
    """Capture of ``nerve`` by ``protocol``'s lesion at ``placement`` on the 3D engine.

    ``bone=False`` leaves the bone out (homogeneous tissue, the axisymmetric case);
    ``level`` replaces the nerve's own (:func:`bone_level`). Raises ``ValueError``
    naming the field for more than one lesion; :class:`BonePoseError` for a pose whose
    metal enters the bone.
    """
    if placement.lesion_count != 1:
        raise ValueError(f"lesion_count={placement.lesion_count}: the 3D engine runs one lesion")
    if not (np.isfinite(min_length_mm) and min_length_mm > 0):
        raise ValueError(f"min_length_mm {min_length_mm!r}: allowed a finite length > 0 mm")
    electrode = protocol.electrode
    poses = draw_pose_set(
        placement,
        nerve,
        tip_length_mm=protocol.tip_length_mm,
        cannula_radius_mm=electrode.radius_m * 1e3,
        errors=errors,
        samples=samples,
        seed=seed,
        radius_cv=radius_cv,
    )
    planned = poses.planned
    tip, direction = planned.tips[0, 0], planned.directions[0]
    pose = CannulaPose(
        electrode,
        tip_m=(float(tip[0]), float(tip[1]), float(tip[2])),
        direction=(float(direction[0]), float(direction[1]), float(direction[2])),
    )
    grid = grid_around_cannula(
        pose,
        cell_m=cell_mm * 1e-3,
        fine_margin_m=FINE_MARGIN_MM * 1e-3,
        half_width_m=half_width_mm * 1e-3,
    )
    solids: tuple[Any, ...] = ()
    clearance = None
    kind: LevelKind | None = None
    if bone:
        chosen = level or bone_level(nerve)
        kind = chosen.kind
        clearance = chosen.clearance_mm(pose)
        if clearance < -0.5 * cell_mm:
            raise BonePoseError(
                f"offset_mm={placement.offset_mm:g}, angle_deg={placement.angle_deg:g}: the "
                f"cannula's metal enters the bone by {-clearance:.2f} mm (the planned pose "
                "must rest on the bone beside the nerve)"
            )
        solids = chosen.solids(grid)
    if progress is not None:
        progress(
            f"3D lesion for {nerve.name}: {grid.size:,} cells, "
            f"{'bone: ' + kind if kind else 'no bone'}"
        )
    scene = Scene.build(grid, pose, protocol.tissue, solids)
    result = simulate3d(protocol, scene)
    distance = lesion_distance(grid, result.log10_omega, solid=scene.labels > 0)
    centreline = nerve.centreline_m(CENTRELINE_SPACING_MM)
    planned_mm = captured_length3d_m(distance, centreline, float(planned.nerve_radius_m[0])) * 1e3
    lengths = np.concatenate(
        [
            sampled_lengths3d_m(
                distance,
                centreline,
                planned_tip_m=tip,
                planned_direction=direction,
                tips_m=batch.tips[0],
                directions=batch.directions,
                nerve_radius_m=batch.nerve_radius_m,
                radius_scale=scale,
            )
            for batch, scale in poses.batches
        ]
    )
    estimate = estimate_from_lengths(
        _describing_profile(protocol),
        nerve,
        lengths * 1e3,
        planned_length_mm=planned_mm,
        min_length_mm=min_length_mm,
        radius_cv=radius_cv,
    )
    traces = result.traces
    return Capture3D(
        estimate=estimate,
        lesion=result.lesion,
        bone=kind,
        bone_clearance_mm=clearance,
        cells=grid.size,
        runtime_s=float(result.diagnostics["runtime_s"]),
        final_impedance_ohm=float(traces["impedance_ohm"][-1]),
        final_power_w=float(traces["power_w"][-1]),
        peak_tissue_temperature_c=float(result.diagnostics["peak_tissue_temperature_c"]),
        fields=(grid, result.log10_omega, scene.labels, pose) if keep_fields else None,
    )
