"""What a lesion must spare, and the settings the evidence supports, per region.

Structures at risk are points in the nerve frame of :mod:`rhizo.planning.anatomy`
(x along the nerve, distal direction of a parallel cannula = +x; y across the
nerve in the bone plane; z away from bone; millimetres). A lesion's clearance
from a structure is the distance from the point to the lesion's solid of
revolution ``r <= R(z)`` (negative inside): in the half-plane through the
cannula axis and the point, with the point at ``(z, r)``,

    clearance = min over the outline's segments of dist((z, r), segment)

(outside), or minus that distance (inside). For a sphere of radius R centred
at C this is ``|P - C| - R``.

A candidate is *safe* when, under the planner's placement error and anatomical
variation (the same poses as the capture estimate), the structure lies inside
the lesion in at most :data:`MAX_REACH_PROBABILITY` of placements, and its
temperature lies in the region's evidence-supported range
(:data:`TEMPERATURE_RANGES_C`). Every number below has a source and an evidence
level; the structures' positions are assumptions (no measured distance from the
medial-branch target to the ventral ramus or vertebral artery was found) and
say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.anatomy import Joint, Nerve, PlannerSource
from rhizo.planning.lesions import LesionProfile
from rhizo.planning.placement import (
    CannulaPlacement,
    PlacementError,
    Poses,
    planned_pose,
    sample_poses,
)

FloatArray = NDArray[np.float64]

#: Largest accepted fraction of placements whose lesion reaches a structure (assumption).
MAX_REACH_PROBABILITY = 0.01

SAFETY_SOURCES: dict[str, PlannerSource] = {
    "learn2021": PlannerSource(
        "Lee DW, Pritzlaff S, Jung MJ et al. Latest Evidence-Based Application for "
        "Radiofrequency Neurotomy (LEARN): Best Practice Guidelines from the American "
        "Society of Pain and Neuroscience (ASPN). J Pain Res 2021;14:2807-2831 (PMC8436449)",
        "Medscape summary, as quoted in the project's clinical research note (section 1c)",
        "read-secondary",
        "motor and sensory testing before lumbar RFN 'to avoid unintentional lesioning of "
        "the ventral ramus'; evidence strongest for conventional RF at 60-80 C for 60-90 s.",
    ),
    "teaching_80_85": PlannerSource(
        "Interventional-spine trainer (shuhub.xyz educational page) and atlas texts",
        "as quoted in the project's clinical research note (section 1c) and capture audit",
        "read-secondary",
        "typical teaching: 80-85 C for 60-90 s, 2-3 overlapping lesions per level.",
    ),
    "lord1996": PlannerSource(
        "Lord SM, Barnsley L, Wallis BJ, McDonald GJ, Bogduk N. Percutaneous "
        "radio-frequency neurotomy for chronic cervical zygapophyseal-joint pain. "
        "N Engl J Med 1996;335:1721-6",
        "ACP J Club summary, as quoted in the project's clinical research note (section 1b)",
        "read-secondary",
        "cervical lesions at 80 C for 90 s (the randomised trial's setting).",
    ),
    "bogduk_l5": PlannerSource(
        "Bogduk N. Clinical and radiological anatomy of the lumbar spine (dorsal rami)",
        "quoted text (planner SOURCES['bogduk_l5'])",
        "read-secondary",
        "the L1-L4 medial branches hug the neck of the superior articular process below "
        "the foramen: the spinal nerve and its ventral ramus lie cranial and ventral to "
        "the target, in front of the transverse process.",
    ),
    "assumed_ventral_ramus_position": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "no measured distance from the medial-branch target to the ventral ramus was "
        "found; the ramus is placed 10 mm cranial (the parallel cannula's distal "
        "direction, +x) and 5 mm ventral (-z, in front of the transverse process) of "
        "the target. Bone between them is not modelled, so the clearance is pessimistic.",
    ),
    "assumed_cervical_positions": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "no measured distance was found; the cervical ventral ramus is placed 6 mm "
        "ventral and 4 mm lateral of the medial branch on the articular pillar's waist, "
        "the vertebral artery 9 mm ventral and 6 mm lateral (it runs in the transverse "
        "foramina, in front of the pillar).",
    ),
    "assumed_reach_probability": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "a candidate whose lesion reaches a structure in more than 1 % of simulated "
        "placements is excluded; the threshold is a placeholder.",
    ),
}


@dataclass(frozen=True)
class Structure:
    """A structure a lesion must spare, as a point in the nerve frame (mm)."""

    name: str
    position_mm: tuple[float, float, float]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class TemperatureRange:
    """Set temperatures (C) the evidence supports in a region, with the sources."""

    low_c: float
    high_c: float
    sources: tuple[str, ...]

    def allows(self, temperature_c: float) -> bool:
        """Whether ``temperature_c`` lies in ``[low_c, high_c]``."""
        return self.low_c <= temperature_c <= self.high_c


STRUCTURES: dict[str, tuple[Structure, ...]] = {
    "lumbar": (
        Structure(
            "ventral ramus",
            (10.0, 0.0, -5.0),
            ("bogduk_l5", "learn2021", "assumed_ventral_ramus_position"),
        ),
    ),
    "cervical": (
        Structure("ventral ramus", (0.0, 4.0, -6.0), ("learn2021", "assumed_cervical_positions")),
        Structure("vertebral artery", (0.0, 6.0, -9.0), ("assumed_cervical_positions",)),
    ),
}

#: Lumbar: LEARN's strongest evidence 60-80 C and teaching up to 85 C; cervical: Lord 1996's 80 C.
TEMPERATURE_RANGES_C: dict[str, TemperatureRange] = {
    "lumbar": TemperatureRange(60.0, 85.0, ("learn2021", "teaching_80_85")),
    "cervical": TemperatureRange(60.0, 80.0, ("learn2021", "lord1996")),
}


@dataclass(frozen=True)
class StructureRisk:
    """A lesion against one structure: clearance at the plan and the reach probability."""

    name: str
    planned_clearance_mm: float
    reach_probability: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "planned_clearance_mm": round(self.planned_clearance_mm, 3),
            "reach_probability": self.reach_probability,
        }


def distance_to_outline_m(profile: LesionProfile, z_m: FloatArray, r_m: FloatArray) -> FloatArray:
    """Signed distance (m) from points ``(z, r)`` of a meridional half-plane to the lesion.

    The lesion's outline is the polyline ``(z_i, R_i)``; the distance is to its
    nearest segment, negative for points inside (``r <= R(z)``).
    """
    z = np.asarray(z_m, dtype=np.float64)[:, None]
    r = np.asarray(r_m, dtype=np.float64)[:, None]
    # The outline closed on the axis at both ends (caps where R does not reach 0).
    outline_z = np.concatenate([profile.z_m[:1], profile.z_m, profile.z_m[-1:]])
    outline_r = np.concatenate([[0.0], profile.radius_m, [0.0]])
    z0, z1 = outline_z[:-1][None, :], outline_z[1:][None, :]
    r0, r1 = outline_r[:-1][None, :], outline_r[1:][None, :]
    dz, dr = z1 - z0, r1 - r0
    length_sq = dz * dz + dr * dr
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(length_sq > 0, ((z - z0) * dz + (r - r0) * dr) / length_sq, 0.0)
    t = np.clip(t, 0.0, 1.0)
    distance = np.sqrt((z - z0 - t * dz) ** 2 + (r - r0 - t * dr) ** 2).min(axis=1)
    radius = profile.radius_at(z[:, 0])
    inside = (radius > 0.0) & (r[:, 0] <= radius)
    return np.asarray(np.where(inside, -distance, distance), dtype=np.float64)


def clearance_m(
    profile: LesionProfile, point_m: FloatArray, tips_m: FloatArray, directions: FloatArray
) -> FloatArray:
    """Clearance (m) of ``point_m`` (3,) from the union of lesions, per pose.

    ``tips_m`` (lesions, n, 3) and ``directions`` (n, 3) as in
    :func:`rhizo.planning.capture.margins_m`; the smallest clearance over the lesions.
    """
    best = np.full(directions.shape[0], np.inf)
    for tips in tips_m:
        relative = point_m[None, :] - tips
        z = np.einsum("nk,nk->n", relative, directions)
        r = np.sqrt(np.clip(np.einsum("nk,nk->n", relative, relative) - z * z, 0.0, None))
        best = np.minimum(best, distance_to_outline_m(profile, z, r))
    return best


def inside_any(
    profile: LesionProfile, point_m: FloatArray, tips_m: FloatArray, directions: FloatArray
) -> NDArray[np.bool_]:
    """Whether ``point_m`` lies inside any lesion (``r <= R(z)``), per pose (cheap test)."""
    inside = np.zeros(directions.shape[0], dtype=bool)
    for tips in tips_m:
        relative = point_m[None, :] - tips
        z = np.einsum("nk,nk->n", relative, directions)
        r_sq = np.einsum("nk,nk->n", relative, relative) - z * z
        radius = profile.radius_at(z)
        inside |= (radius > 0.0) & (r_sq <= radius * radius)
    return inside


def risk_poses(
    placement: CannulaPlacement,
    nerve: Nerve,
    *,
    tip_length_mm: float,
    cannula_radius_mm: float,
    errors: PlacementError,
    samples: int,
    seed: int | None,
) -> tuple[Poses, Poses]:
    """The planned pose and ``samples`` poses under error (they depend on no lesion's size)."""
    planned = planned_pose(
        placement, nerve, tip_length_mm=tip_length_mm, cannula_radius_mm=cannula_radius_mm
    )
    poses = sample_poses(
        placement,
        nerve,
        tip_length_mm=tip_length_mm,
        errors=errors,
        samples=samples,
        rng=np.random.default_rng(seed),
        cannula_radius_mm=cannula_radius_mm,
    )
    return planned, poses


def structure_risks(
    profile: LesionProfile,
    joint: Joint,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    errors: PlacementError,
    samples: int,
    seed: int | None,
    poses: tuple[Poses, Poses] | None = None,
) -> tuple[StructureRisk, ...]:
    """Clearance at the plan and reach probability for each structure of the joint's region.

    ``poses`` (from :func:`risk_poses` with the same arguments) skips the sampling:
    candidates that differ only in the lesion share them.
    """
    planned, sampled = poses or risk_poses(
        placement,
        nerve,
        tip_length_mm=profile.tip_length_m * 1e3,
        cannula_radius_mm=profile.cannula_radius_m * 1e3,
        errors=errors,
        samples=samples,
        seed=seed,
    )
    return risks_from(
        joint,
        planned_clearances_mm(profile, joint, planned),
        reach_fractions(profile, joint, sampled),
    )


def planned_clearances_mm(
    profile: LesionProfile, joint: Joint, planned: Poses
) -> tuple[float, ...]:
    """Each structure's clearance (mm) from the lesions at the plan (:func:`clearance_m`)."""
    return tuple(
        float(clearance_m(profile, _point_m(structure), planned.tips, planned.directions)[0]) * 1e3
        for structure in STRUCTURES[joint.region]
    )


def reach_fractions(profile: LesionProfile, joint: Joint, sampled: Poses) -> tuple[float, ...]:
    """Each structure's fraction of ``sampled`` poses whose lesion reaches it
    (:func:`inside_any`)."""
    return tuple(
        float(
            np.count_nonzero(
                inside_any(profile, _point_m(structure), sampled.tips, sampled.directions)
            )
        )
        / sampled.count
        for structure in STRUCTURES[joint.region]
    )


def risks_from(
    joint: Joint, clearances_mm: tuple[float, ...], reach: tuple[float, ...]
) -> tuple[StructureRisk, ...]:
    """:class:`StructureRisk` per structure of the joint's region from its two numbers."""
    return tuple(
        StructureRisk(name=structure.name, planned_clearance_mm=at_plan, reach_probability=p)
        for structure, at_plan, p in zip(
            STRUCTURES[joint.region], clearances_mm, reach, strict=True
        )
    )


def _point_m(structure: Structure) -> FloatArray:
    return np.asarray(structure.position_mm, dtype=np.float64) * 1e-3
