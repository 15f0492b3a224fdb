"""A parametric lumbar level as bone solids in the planner's nerve frame.

Frame (the planner's, :mod:`rhizo.planning.anatomy`): x along the nerve at its
landmark, y across it in the plane of the bone it lies on, z away from the bone;
the nerve's axis lies at z = 0, its floor at z = -a (a its radius). The physics
layer cannot import the planner, so the nerve enters as a :class:`NerveCourse`
(radius, groove depth, curvature): the planner builds it from its ``Nerve``
(:func:`rhizo.planning.capture3d.nerve_course`).

Solids are blocks in a nerve's coordinates -- arc length ``s`` along it, ``n``
across it towards the superior articular process (SAP; -y at the origin), and z:
for a straight course ``s = x, n = -y``; for curvature kappa = 1/R (an arc bending
towards +y, centre (0, R)), ``rho = |(x, y - R)|``, ``n = rho - R``, ``s = R theta``
with theta the angle about the centre from the origin. The level's blocks are
straight (kappa = 0, faces along the nerve's tangent at its landmark) whatever the
nerve's curvature: the planner's cannula is straight, and an SAP face following
the arc of a medial branch bending away from it (towards +y, the planner's arc)
would cut into a cannula laid parallel beside the nerve; the nerve touches the
planar SAP face at the landmark and leaves it by s^2 / (2 R) (0.7 mm at 6 mm).
A block's signed distance (mm, negative inside) is the largest of its six slab
distances (exact inside a straight block, a lower bound outside; arc-length
distances scaled by rho / R); a level is their union (the minimum).
Cell centres with distance <= 0 are bone; deeper than :data:`CORTEX_MM` they
are trabecular, the rest cortical.

Two levels (every dimension a named constant; :data:`LUMBAR_SOURCES` says where it
comes from and how firmly):

- ``tp_sap`` (L1-L4 medial branches, e.g. L3 at the L4 TP-SAP junction for L4-L5):
  the transverse-process root as a floor under the nerve (top z = -a) and the SAP
  wall rising beside it on the -y side, its face touching the nerve (n = a: the
  branch hugs the SAP's neck, Bogduk);
- ``ala_sap`` (the L5 dorsal ramus): the sacral ala with a groove of depth
  ``groove_depth_mm`` and half-width a (the ramus fills it), the ala's shoulder on
  the +y side (top z = -a + depth, the plane the planner's tip-depth model lowers
  the cannula onto) and the S1 SAP wall on the -y side.

The planner's offset is across the nerve towards +y, so a cannula beside the nerve
lies on the TP (or the ala's shoulder), away from the SAP. Far blocks (pedicle,
vertebral body) are left out: they lie beyond the lesion's reach in a 30 mm cube.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.bone_tissues import TRABECULAR_BONE
from rhizo.physics.three_d.geometry3d import CORTICAL_BONE, CannulaPose
from rhizo.physics.three_d.grid3d import CartesianGrid
from rhizo.physics.tissue import Tissue

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Evidence = Literal["read", "read-secondary", "recalled", "assumption"]
LevelKind = Literal["tp_sap", "ala_sap"]

#: Cortical shell of the posterior elements (mm).
CORTEX_MM = 1.0
#: Lateral extent of the transverse process from the SAP's neck (mm).
TP_LATERAL_MM = 15.0
#: Craniocaudal extent of the TP root along the nerve (mm), centred on the landmark.
TP_HEIGHT_MM = 12.0
#: Bone under the nerve at the TP root (dorsoventral, mm).
TP_THICKNESS_MM = 6.0
#: The SAP's dorsal rise above the TP's dorsal surface (mm).
SAP_HEIGHT_MM = 10.0
#: The SAP's medio-lateral thickness (mm).
SAP_WIDTH_MM = 8.0
#: The SAP's extent along the nerve (mm), centred on the landmark.
SAP_LENGTH_MM = 15.0
#: The sacral ala: lateral extent from the groove, extent along the ramus, thickness (mm).
ALA_WIDTH_MM = 20.0
ALA_LENGTH_MM = 20.0
ALA_THICKNESS_MM = 10.0

#: Where each dimension comes from.
LUMBAR_SOURCES: dict[str, tuple[str, Evidence]] = {
    "CORTEX_MM": (
        "no measurement of the posterior elements' cortical thickness was read; 1 mm "
        "(two 0.5 mm cells) is a placeholder",
        "assumption",
    ),
    "TP_LATERAL_MM": (
        "Li B, Jiang B, Fu Z et al. A morphological study of lumbar transverse process. "
        "2003, doi 10.3969/j.issn.2095-252x.2003.02.008 (abstract read): 'the lengths of "
        "L2, 4, 5 were similar, and were about 15 mm' (L1 10 mm, L3 19 mm); that this "
        "'length' is the lateral projection from the root is this module's reading",
        "read",
    ),
    "TP_HEIGHT_MM": (
        "no craniocaudal width of the TP root was read (Li 2003 measured it but the "
        "abstract gives no number); 12 mm",
        "assumption",
    ),
    "TP_THICKNESS_MM": (
        "the TP root merges with the pedicle (a thick block); 6 mm of bone under the "
        "nerve (Li 2003: L5's TP twice as thick as L4's, no value in the abstract)",
        "assumption",
    ),
    "SAP_HEIGHT_MM": ("dorsal rise of the SAP above the TP root, recalled order", "recalled"),
    "SAP_WIDTH_MM": ("medio-lateral thickness of the SAP and pedicle wall", "assumption"),
    "SAP_LENGTH_MM": ("craniocaudal extent of the SAP's neck beside the nerve", "assumption"),
    "ALA_WIDTH_MM": ("lateral extent of the sacral ala beside the groove", "assumption"),
    "ALA_LENGTH_MM": ("extent of the ala along the L5 dorsal ramus", "assumption"),
    "ALA_THICKNESS_MM": ("bone under the groove", "assumption"),
    "groove_half_width": (
        "the L5 dorsal ramus fills its groove: half-width = the nerve's radius; the "
        "groove's depth is the planner's Nerve.groove_depth_mm (assumed_groove_depth)",
        "assumption",
    ),
    "sap_side": (
        "the branch hugs the neck of the SAP (Bogduk, bogduk_l5 in the planner's "
        "sources, read-secondary): the SAP's face touches the nerve; it is put on the "
        "-y side so that the planner's offset (>= 0, towards +y) lies on the TP",
        "assumption",
    ),
}


@dataclass(frozen=True)
class NerveCourse:
    """What the bone needs of the planner's nerve (mm, per mm): its radius, how deep
    its groove is and its curvature (the arc bends towards +y for kappa > 0; kept for
    the record, the level's blocks are straight, see the module's text)."""

    radius_mm: float
    groove_depth_mm: float = 0.0
    curvature_per_mm: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.radius_mm) and self.radius_mm > 0):
            raise ValueError(f"radius_mm={self.radius_mm!r}: allowed a finite number > 0")
        if not (math.isfinite(self.groove_depth_mm) and self.groove_depth_mm >= 0):
            raise ValueError(f"groove_depth_mm={self.groove_depth_mm!r}: allowed >= 0")
        if not math.isfinite(self.curvature_per_mm):
            raise ValueError(f"curvature_per_mm={self.curvature_per_mm!r}: must be finite")


def _nerve_coordinates(
    x: FloatArray, y: FloatArray, curvature_per_mm: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(s, n, arc scale) of points (mm): arc length, distance across towards -y, and
    rho / R (1 for a straight nerve), the length at the point per unit of s."""
    if abs(curvature_per_mm) < 1e-12:
        return x, -y, np.ones_like(x)
    radius = 1.0 / curvature_per_mm
    sign = 1.0 if radius > 0 else -1.0
    dy = y - radius
    rho = np.hypot(x, dy)
    across = sign * (rho - abs(radius))
    theta = np.arctan2(x, -dy * sign)
    return abs(radius) * theta, across, rho / abs(radius)


@dataclass(frozen=True)
class NerveBlock:
    """A bone block in the nerve's coordinates (mm): ``across`` n, ``along`` s, ``height`` z."""

    name: str
    across_mm: tuple[float, float]
    along_mm: tuple[float, float]
    height_mm: tuple[float, float]
    curvature_per_mm: float = 0.0

    def __post_init__(self) -> None:
        for label, (low, high) in (
            ("across_mm", self.across_mm),
            ("along_mm", self.along_mm),
            ("height_mm", self.height_mm),
        ):
            if not low < high:
                raise ValueError(f"{self.name}: {label}=({low:g}, {high:g}) must have low < high")
        if abs(self.curvature_per_mm) >= 1e-12:
            radius = 1.0 / abs(self.curvature_per_mm)
            if max(abs(v) for v in self.across_mm) >= radius:
                raise ValueError(
                    f"{self.name}: across_mm={self.across_mm} reaches the arc's centre "
                    f"(radius {radius:g} mm)"
                )

    def signed_distance_mm(self, x: FloatArray, y: FloatArray, z: FloatArray) -> FloatArray:
        """Largest slab distance (mm): negative inside, exact inside a straight block."""
        s, n, scale = _nerve_coordinates(x, y, self.curvature_per_mm)
        (n0, n1), (s0, s1), (z0, z1) = self.across_mm, self.along_mm, self.height_mm
        parts = (n0 - n, n - n1, (s0 - s) * scale, (s - s1) * scale, z0 - z, z - z1)
        return np.asarray(np.maximum.reduce(parts), dtype=np.float64)

    @property
    def volume_mm3(self) -> float:
        """The block's exact volume (mm^3): a box, or an annular sector for a curved nerve."""
        (n0, n1), (s0, s1), (z0, z1) = self.across_mm, self.along_mm, self.height_mm
        if abs(self.curvature_per_mm) < 1e-12:
            return (n1 - n0) * (s1 - s0) * (z1 - z0)
        radius = 1.0 / self.curvature_per_mm
        sign, big = (1.0 if radius > 0 else -1.0), abs(radius)
        angle = (s1 - s0) / big
        inner, outer = big + sign * n0, big + sign * n1
        return 0.5 * angle * abs(outer**2 - inner**2) * (z1 - z0)


@dataclass(frozen=True)
class LumbarLevel:
    """The bone beside one target nerve: blocks (their union), shell thickness, tissues."""

    kind: LevelKind
    blocks: tuple[NerveBlock, ...]
    cortex_mm: float = CORTEX_MM
    cortical: Tissue = CORTICAL_BONE
    trabecular: Tissue = TRABECULAR_BONE

    def signed_distance_mm(self, x: FloatArray, y: FloatArray, z: FloatArray) -> FloatArray:
        """Union distance (mm, negative in bone): the smallest of the blocks'."""
        return np.asarray(
            np.minimum.reduce([block.signed_distance_mm(x, y, z) for block in self.blocks]),
            dtype=np.float64,
        )

    def masks(self, grid: CartesianGrid) -> tuple[BoolArray, BoolArray]:
        """(cortical, trabecular) cells of ``grid`` by their centres."""
        x, y, z = (coordinate * 1e3 for coordinate in grid.mesh_m)
        distance = self.signed_distance_mm(x, y, z)
        trabecular = distance <= -self.cortex_mm
        return (distance <= 0.0) & ~trabecular, trabecular

    def solids(self, grid: CartesianGrid) -> tuple[tuple[Tissue, BoolArray], ...]:
        """``solids`` for :meth:`rhizo.physics.three_d.geometry3d.Scene.build`."""
        cortical, trabecular = self.masks(grid)
        return ((self.cortical, cortical), (self.trabecular, trabecular))

    def with_tissues(self, cortical: Tissue, trabecular: Tissue) -> LumbarLevel:
        """The same bone with other tissues (what-if runs and the conductivity check)."""
        return LumbarLevel(self.kind, self.blocks, self.cortex_mm, cortical, trabecular)

    def clearance_mm(self, pose: CannulaPose, *, shaft_mm: float = 20.0) -> float:
        """Smallest distance (mm) from the cannula's metal to the bone: 0 when it rests on
        it, negative when it enters it. The metal is the capsule of the outer radius
        about the axis from the rounded end's centre back ``shaft_mm`` past the tip."""
        electrode = pose.electrode
        radius_mm = electrode.radius_m * 1e3
        tip = np.asarray(pose.tip_m) * 1e3
        d = np.asarray(pose.direction)
        back = np.linspace(radius_mm, electrode.tip_length_m * 1e3 + shaft_mm, 2001)
        points = tip[None, :] - back[:, None] * d[None, :]
        distance = self.signed_distance_mm(points[:, 0], points[:, 1], points[:, 2])
        return float(np.min(distance)) - radius_mm


def tp_sap_level(course: NerveCourse, *, cortex_mm: float = CORTEX_MM) -> LumbarLevel:
    """The TP root under a lumbar medial branch and the SAP wall beside it."""
    a, kappa = course.radius_mm, 0.0
    top = -a + course.groove_depth_mm
    bottom = top - TP_THICKNESS_MM
    floor = NerveBlock(
        "transverse process root",
        across_mm=(-TP_LATERAL_MM, a + SAP_WIDTH_MM),
        along_mm=(-TP_HEIGHT_MM / 2, TP_HEIGHT_MM / 2),
        height_mm=(bottom, top),
        curvature_per_mm=kappa,
    )
    # The SAP reaches down through the floor so that their union has no inner face
    # (the shell follows the outer surface only).
    wall = NerveBlock(
        "superior articular process",
        across_mm=(a, a + SAP_WIDTH_MM),
        along_mm=(-SAP_LENGTH_MM / 2, SAP_LENGTH_MM / 2),
        height_mm=(bottom, top + SAP_HEIGHT_MM),
        curvature_per_mm=kappa,
    )
    return LumbarLevel("tp_sap", (floor, wall), cortex_mm)


def ala_sap_level(course: NerveCourse, *, cortex_mm: float = CORTEX_MM) -> LumbarLevel:
    """The sacral ala with the L5 dorsal ramus's groove, and the S1 SAP wall."""
    a, kappa, depth = course.radius_mm, 0.0, course.groove_depth_mm
    floor_top = -a
    bottom = floor_top - ALA_THICKNESS_MM
    half = a  # groove_half_width
    along = (-ALA_LENGTH_MM / 2, ALA_LENGTH_MM / 2)
    blocks = [
        NerveBlock(
            "sacral ala (groove floor)",
            across_mm=(-ALA_WIDTH_MM, half + SAP_WIDTH_MM),
            along_mm=along,
            height_mm=(bottom, floor_top),
            curvature_per_mm=kappa,
        ),
        NerveBlock(
            "S1 superior articular process",
            across_mm=(half, half + SAP_WIDTH_MM),
            along_mm=along,
            height_mm=(bottom, floor_top + SAP_HEIGHT_MM),
            curvature_per_mm=kappa,
        ),
    ]
    if depth > 0:
        blocks.append(
            NerveBlock(
                "sacral ala (shoulder beside the groove)",
                across_mm=(-ALA_WIDTH_MM, -half),
                along_mm=along,
                height_mm=(bottom, floor_top + depth),
                curvature_per_mm=kappa,
            )
        )
    return LumbarLevel("ala_sap", tuple(blocks), cortex_mm)


def lumbar_level(kind: LevelKind, course: NerveCourse) -> LumbarLevel:
    """The level of ``kind`` ("tp_sap" or "ala_sap") around ``course``."""
    if kind == "tp_sap":
        return tp_sap_level(course)
    if kind == "ala_sap":
        return ala_sap_level(course)
    raise ValueError(f"kind={kind!r}: allowed tp_sap or ala_sap")
