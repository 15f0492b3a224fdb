"""Target nerves of each facet joint, where they run, how thick and how variable.

Local frame of a target (the "nerve frame", millimetres at this edge):

- origin: the point on the nerve opposite the bony landmark the physician aims
  at (e.g. the junction of the transverse process and the superior articular
  process for a lumbar medial branch);
- x: along the nerve's course at the origin (its tangent there);
- y: across the nerve, in the plane of the bone surface it lies on;
- z: away from the bone (the direction a dorsal needle comes from).

The nerve is a circular arc in the x-y plane through the origin, tangent to x,
with curvature ``curvature_per_mm`` (0 = straight), ``length_mm`` long and
centred on the origin. Its cross-section is a disc of diameter ``diameter_mm``.

Variability (anatomy, per patient): the nerve's position across its course
(``lateral_sd_mm``, a normal shift along y) and its direction
(``course_angle_sd_deg``, a normal rotation about z) relative to the landmark,
and its diameter (uniform in ``diameter_range_mm``).

Every number has an entry in :data:`SOURCES` saying where it comes from and
whether it was read there ("read") or is an assumption ("assumption"). Sides
(left/right) are mirror images; nothing here depends on the side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Evidence = Literal["read", "read-secondary", "assumption"]


@dataclass(frozen=True)
class PlannerSource:
    """Where one of the planner's numbers comes from and how firmly it is known.

    A free-text citation (the planner's tables quote papers and assumptions
    side by side); the care pathway's structured, YAML-backed source is
    :class:`rhizo.pathway.facts.Source`.
    """

    citation: str
    where: str
    evidence: Evidence
    note: str = ""


#: Every source the planner relies on, keyed by a short id used in the tables below.
SOURCES: dict[str, PlannerSource] = {
    "bogduk1987": PlannerSource(
        "Bogduk N, Macintosh J, Marsland A. Technical limitations to the efficacy of "
        "radiofrequency neurotomy for spinal pain. Neurosurgery 1987;20(4):529-35",
        "abstract (PubMed 2953988)",
        "read",
        "lesions extend radially around the tip (oblate spheroid, maximal effective radius "
        "2 mm) and not distal to it; electrodes perpendicular onto a nerve may miss it; "
        "introduce electrodes parallel to the nerve.",
    ),
    "lau2004": PlannerSource(
        "Lau P, Mercer S, Govind J, Bogduk N. The surgical anatomy of lumbar medial branch "
        "neurotomy (facet denervation). Pain Med 2004;5(3):289-98",
        "abstract, as summarised in the project's physics research note (section 1.1)",
        "read-secondary",
        "electrodes must lie parallel to the nerve, inserted obliquely from below, tip "
        "opposite the middle two quarters of the superior articular process (L5: middle "
        "and posterior thirds of the S1 superior articular process).",
    ),
    "cohen2011": PlannerSource(
        "Cohen SP et al. Does sensory stimulation threshold affect lumbar facet "
        "radiofrequency denervation outcomes? Anesth Analg 2011;113(5)",
        "introduction (journals.lww.com full text)",
        "read",
        "target nerve diameter < 2 mm; conventional RF lesion radius 1.1-2.2 mm; "
        "intra- and inter-person variability in medial-branch location.",
    ),
    "cohen2020": PlannerSource(
        "Cohen SP et al. Consensus practice guidelines on interventions for lumbar facet "
        "joint pain. Reg Anesth Pain Med 2020;45:424-467",
        "Table 11 (as summarised in the project's clinical research note, section 1a)",
        "read-secondary",
        "needle size 'large' (trials: preferably >= 18 gauge); lesion >= 1.5 min in practice.",
    ),
    "bogduk1981": PlannerSource(
        "Bogduk N. The lumbar mamillo-accessory ligament. Its anatomical and neurosurgical "
        "significance. Spine 1981;6(2):162-7",
        "abstract (metajournal.com)",
        "read",
        "the ligament keeps the proximal course of the medial branch in a constant "
        "relationship to bone.",
    ),
    "tran2022": PlannerSource(
        "Tran J, Peng P, Loh E. Anatomical study of the medial branches of the lumbar "
        "dorsal rami: implications for image-guided intervention. Reg Anesth Pain Med "
        "2022 (doi:10.1136/rapm-2022-103653)",
        "abstract",
        "read",
        "10 cadavers: the medial branch follows the lateral neck of the superior articular "
        "process, coursing laterally on its anterior half and turning parasagittal-to-medial "
        "on its posterior half towards the mamillo-accessory notch.",
    ),
    "rs2025": PlannerSource(
        "Anatomical study on radiofrequency ablation for the treatment of lumbar facet "
        "joint syndrome. Research Square preprint doi:10.21203/rs.3.rs-6592966/v1",
        "abstract (sciety.org)",
        "read",
        "10 specimens, L1-L4: angle between medial branch and mamillo-accessory ligament "
        "65+-3, 66+-3, 68+-3, 67+-4 deg; distance from the caudal mamillary process to the "
        "medial branch 4.66+-1.02, 4.80+-1.08, 5.15+-1.23, 5.07+-0.99 mm (mean+-SD). "
        "Measured at the fibro-osseous canal entrance, used here as a proxy for the "
        "variability at the RF target (preprint, not peer reviewed).",
    ),
    "procedureguide": PlannerSource(
        "The Procedure Guide. Fluoroscopic guided sacroiliac joint dorsal ramus and lateral "
        "branch radiofrequency ablation (theprocedureguide.com)",
        "anatomy section",
        "read-secondary",
        "each medial branch runs over the TP-SAP junction one level below its origin (L3 "
        "medial branch at the L4 TP-SAP junction); L3 and L4 branches supply the L4-L5 "
        "joint; the L5 dorsal ramus sits at the sacral ala.",
    ),
    "bogduk_l5": PlannerSource(
        "Bogduk N. Clinical and radiological anatomy of the lumbar spine (textbook chapter "
        "on the lumbar dorsal rami), as quoted on a cafe.daum.net page",
        "quoted text",
        "read-secondary",
        "L1-L4 medial branches hug the neck of the superior articular process below the "
        "foramen, then pass under the mamillo-accessory ligament; the L5 dorsal ramus runs "
        "in the groove between the sacral ala and the root of the S1 superior articular "
        "process.",
    ),
    "zhou2012": PlannerSource(
        "Zhou L, Schneck CD, Shao Z. The anatomy of dorsal ramus nerves and its "
        "implications in lower back pain. Neurosci Med 2012;3:192-201",
        "abstract",
        "read",
        "the medial branch innervates two to three adjacent zygapophysial joints.",
    ),
    "bogduk_marsland1986": PlannerSource(
        "Bogduk N, Marsland A. On the concept of third occipital headache. J Neurol "
        "Neurosurg Psychiatry 1986;49:775-80",
        "summary (docslib.org)",
        "read",
        "the third occipital nerve innervates the C2-3 zygapophysial joint.",
    ),
    "govind2003": PlannerSource(
        "Govind J, King W, Bailey B, Bogduk N. Radiofrequency neurotomy for the treatment "
        "of third occipital headache. J Neurol Neurosurg Psychiatry 2003;74:88-93",
        "abstract (100md.com mirror)",
        "read",
        "revised technique: large-gauge electrode, minimum separation between three "
        "electrode placements; 88 % success.",
    ),
    "lord1998": PlannerSource(
        "Lord SM, McDonald GJ, Bogduk N. Percutaneous radiofrequency neurotomy of the "
        "cervical medial branches: a validated treatment for cervical zygapophysial joint "
        "pain. Neurosurg Q 1998;8(4):288-308",
        "figure caption as reproduced in Furman's atlas, ch. 30H (musculoskeletalkey.com)",
        "read-secondary",
        "cadaver courses of the third occipital nerve and C3-C7 medial branches vary; the "
        "TON overlaps the C3 deep medial branch; C5 medial branches cross the middle of "
        "the articular pillar, the others progressively higher.",
    ),
    "clinicalpub_ton": PlannerSource(
        "Waldman SD. Third occipital nerve block (atlas chapter 24, clinicalpub.com)",
        "clinically relevant anatomy",
        "read-secondary",
        "the TON courses dorsomedially around the C3 superior articular process and is the "
        "primary supply of the C2-C3 joint, with some contribution from the C3 medial branch.",
    ),
    "assumed_diameter": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "no measured diameter was found for the lumbar or cervical medial branches; 1.0 mm "
        "(range 0.7-1.3 mm) sits inside Cohen 2011's '< 2 mm'.",
    ),
    "assumed_ramus_diameter": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "the L5 dorsal ramus (a trunk, not a branch) is taken as thicker, 1.5 mm "
        "(1.2-1.8 mm); no measurement was found.",
    ),
    "assumed_ton_diameter": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "third occipital nerve 1.5 mm (1.0-2.0 mm); commonly described as thicker than the "
        "deep medial branches, no measurement was found.",
    ),
    "assumed_curvature": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "a gentle arc of radius 25 mm stands for the lateral-then-medial course described "
        "by Tran 2022 (no radius was published); the L5 dorsal ramus in its groove is "
        "taken as straight.",
    ),
    "block_length": PlannerSource(
        "Conduction block over a length of nerve: block needs about three consecutive "
        "nodes of Ranvier inactivated (Franz DN, Perry RS. Mechanisms for differential "
        "block among single myelinated and non-myelinated axons by procaine. J Physiol "
        "1974;236:193-210; and Raymond SA et al. on the 'critical length' of nerve exposed "
        "to local anaesthetic: citations recalled, details not verified); "
        "internodal length of small myelinated (A-delta) fibres about 0.2-1 mm",
        "the three-node rule and the internodal lengths are recalled, not read in the "
        "papers; read-secondary: 'the local anesthetic must exert its effects over the "
        "distance between several nodes of Ranvier' (alpfmedical.info, Differential "
        "Blockade) and 'the critical length of the smaller nerve fiber contains a larger "
        "number of Ranvier nodes' (AccessAnesthesiology, Hadzic, ch. 3)",
        "read-secondary",
        "minimum coagulated length 3 mm = three internodes of the longest (1 mm) A-delta "
        "internode, the shortest stretch that holds three consecutive nodes wherever the "
        "nodes fall. It is a criterion for conduction block; a coagulated axon "
        "degenerates anyway, and the length that delays regeneration (relief duration, "
        "Loh 2015) is unknown: the expected coagulated length is reported beside the "
        "probability for that reason. Configurable (min_length_mm).",
    ),
    "loh2015": PlannerSource(
        "Loh 2015, retrospective comparison of lumbar RF needle-placement techniques "
        "(PMC4605254; authors and journal not verified here)",
        "as summarised in the project's capture audit (section 1)",
        "read-secondary",
        "retrospective: parallel ('advanced Australian') vs earlier perpendicular technique, "
        "median relief 4 vs 1.5 months (P = 0.022): the direction the planner's "
        "parallel > perpendicular facts must show (not a number it is tuned to).",
    ),
    "assumed_groove_depth": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "depth of the nerve below the bone around it at the RF target: 0 mm (lying on the "
        "bone) for the lumbar medial branches at the neck of the superior articular process "
        "(they hug the bone there: bogduk_l5; the mamillo-accessory ligament, bogduk1981, "
        "covers them further posteriorly, past the target of lau2004) and for the cervical "
        "nerves; 0.75 mm (half its diameter) for the L5 dorsal ramus in the groove between "
        "the sacral ala and the S1 superior articular process (bogduk_l5). No measured "
        "depth was found.",
    ),
    "tew2015": PlannerSource(
        "Analysis of radiofrequency lesions in egg whites in vitro produced by application "
        "of the Tew electrode. Pain Res Manag 2015;20(6):316-20 (PubMed 26357684)",
        "abstract (the project's published_lesions.csv, row tew2015_radial)",
        "read",
        "internal lesion radius 1.06 +/- 0.16 mm beyond the metal at 90 C / 120 s: the "
        "spread of repeated lesions at one setting, 11.3 % of the radius from the axis of "
        "a 22 G-sized electrode; the planner's lesion radius is scaled per sample by a "
        "log-normal factor of that coefficient of variation (a floor: one medium).",
    ),
    "assumed_placement_error": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "no published figure for fluoroscopic placement accuracy of RF cannulae was found; "
        "SDs of 1.0 mm across the nerve, 0.5 mm in depth (the needle rests on bone), "
        "2.0 mm along the nerve and 5 deg in each angle are placeholders.",
    ),
    "assumed_variability": PlannerSource(
        "assumption",
        "-",
        "assumption",
        "no measured variability at the RF target was found for this nerve; the value is "
        "set by analogy with the lumbar medial branches (rs2025) or, for the cervical "
        "nerves, larger because Lord 1998 and Govind 2003 describe variable courses.",
    ),
}


@dataclass(frozen=True)
class Nerve:
    """One target nerve near its landmark, in the nerve frame (mm, degrees)."""

    name: str
    landmark: str
    diameter_mm: float
    diameter_range_mm: tuple[float, float]
    lateral_sd_mm: float
    course_angle_sd_deg: float
    curvature_per_mm: float = 0.0
    length_mm: float = 24.0
    sources: tuple[str, ...] = ()
    #: How far the bone beside the nerve rises above the nerve's floor (mm): 0 = the
    #: nerve lies on flat bone; > 0 = it lies in a groove a cannula cannot enter.
    groove_depth_mm: float = 0.0

    @property
    def radius_m(self) -> float:
        """Nominal nerve radius in metres."""
        return self.diameter_mm * 0.5e-3

    def centreline_m(self, spacing_mm: float = 0.1) -> FloatArray:
        """Points along the nerve's axis, shape (n, 3), metres, in the nerve frame.

        The arc starts at x = -length/2 and ends at x = +length/2 (arc length),
        bending towards +y for positive curvature; ``spacing_mm`` is the arc
        length between points.
        """
        count = max(2, round(self.length_mm / spacing_mm) + 1)
        arc = np.linspace(-self.length_mm / 2, self.length_mm / 2, count) * 1e-3
        kappa = self.curvature_per_mm * 1e3  # per metre
        if abs(kappa) < 1e-12:
            return np.column_stack([arc, np.zeros_like(arc), np.zeros_like(arc)])
        angle = arc * kappa
        x = np.sin(angle) / kappa
        y = (1.0 - np.cos(angle)) / kappa
        return np.column_stack([x, y, np.zeros_like(arc)])


@dataclass(frozen=True)
class Joint:
    """A facet joint, its region and the nerves to coagulate to denervate it."""

    name: str
    region: Literal["lumbar", "cervical"]
    nerves: tuple[Nerve, ...]
    sources: tuple[str, ...] = ()


_ARC = 1.0 / 25.0  # assumed_curvature
_LUMBAR_VARIABILITY: dict[str, tuple[float, float, tuple[str, ...]]] = {
    # level of origin -> (lateral SD mm, course-angle SD deg, sources)
    "T12": (1.02, 3.0, ("rs2025", "assumed_variability")),  # L1 figures by analogy
    "L1": (1.02, 3.0, ("rs2025",)),
    "L2": (1.08, 3.0, ("rs2025",)),
    "L3": (1.23, 3.0, ("rs2025",)),
    "L4": (0.99, 4.0, ("rs2025",)),
}
_LUMBAR_ORDER = ("T12", "L1", "L2", "L3", "L4", "L5", "S1")


def _lumbar_medial_branch(origin: str) -> Nerve:
    below = _LUMBAR_ORDER[_LUMBAR_ORDER.index(origin) + 1]
    lateral_sd, angle_sd, variability = _LUMBAR_VARIABILITY[origin]
    return Nerve(
        name=f"{origin} medial branch",
        landmark=(
            f"root of the {below} transverse process at its junction with the {below} "
            "superior articular process"
        ),
        diameter_mm=1.0,
        diameter_range_mm=(0.7, 1.3),
        lateral_sd_mm=lateral_sd,
        course_angle_sd_deg=angle_sd,
        curvature_per_mm=_ARC,
        sources=(
            "procedureguide",
            "bogduk_l5",
            "tran2022",
            "bogduk1981",
            "cohen2011",
            "assumed_diameter",
            "assumed_curvature",
            "assumed_groove_depth",
            *variability,
        ),
    )


_L5_DORSAL_RAMUS = Nerve(
    name="L5 dorsal ramus",
    landmark="groove between the sacral ala and the root of the S1 superior articular process",
    diameter_mm=1.5,
    diameter_range_mm=(1.2, 1.8),
    lateral_sd_mm=1.0,
    course_angle_sd_deg=5.0,
    curvature_per_mm=0.0,
    sources=(
        "bogduk_l5",
        "procedureguide",
        "lau2004",
        "assumed_ramus_diameter",
        "assumed_curvature",
        "assumed_variability",
        "assumed_groove_depth",
    ),
    groove_depth_mm=0.75,
)

_THIRD_OCCIPITAL = Nerve(
    name="third occipital nerve",
    landmark="lateral aspect of the C2-C3 zygapophysial joint (around the C3 superior "
    "articular process)",
    diameter_mm=1.5,
    diameter_range_mm=(1.0, 2.0),
    lateral_sd_mm=2.0,
    course_angle_sd_deg=10.0,
    curvature_per_mm=0.0,
    sources=(
        "bogduk_marsland1986",
        "clinicalpub_ton",
        "govind2003",
        "lord1998",
        "assumed_ton_diameter",
        "assumed_variability",
    ),
)


def _cervical_medial_branch(origin: str) -> Nerve:
    return Nerve(
        name=f"{origin} medial branch",
        landmark=f"waist (centroid) of the {origin} articular pillar, lateral view"
        if origin != "C8"
        else "root of the T1 superior articular process (C8 medial branch)",
        diameter_mm=1.0,
        diameter_range_mm=(0.7, 1.3),
        lateral_sd_mm=1.5,
        course_angle_sd_deg=8.0,
        curvature_per_mm=_ARC,
        sources=("lord1998", "assumed_diameter", "assumed_curvature", "assumed_variability"),
    )


def _build_joints() -> dict[str, Joint]:
    joints: dict[str, Joint] = {}
    lumbar = ("L1", "L2", "L3", "L4", "L5")
    above = {"L1": "T12", "L2": "L1", "L3": "L2", "L4": "L3", "L5": "L4"}
    for upper in lumbar:
        lower = "S1" if upper == "L5" else f"L{int(upper[1]) + 1}"
        name = f"{upper}-{lower}"
        same = _L5_DORSAL_RAMUS if upper == "L5" else _lumbar_medial_branch(upper)
        joints[name] = Joint(
            name=name,
            region="lumbar",
            nerves=(_lumbar_medial_branch(above[upper]), same),
            sources=("procedureguide", "zhou2012"),
        )
    joints["C2-C3"] = Joint(
        name="C2-C3",
        region="cervical",
        nerves=(_THIRD_OCCIPITAL,),
        sources=("bogduk_marsland1986", "clinicalpub_ton"),
    )
    for level in range(3, 8):
        upper, lower = f"C{level}", ("T1" if level == 7 else f"C{level + 1}")
        nerve_below = "C8" if level == 7 else lower
        joints[f"{upper}-{lower}"] = Joint(
            name=f"{upper}-{lower}",
            region="cervical",
            nerves=(_cervical_medial_branch(upper), _cervical_medial_branch(nerve_below)),
            sources=("lord1998",),
        )
    return joints


#: Every joint the planner knows, by canonical name ("L4-L5", "C2-C3", ...).
JOINTS: dict[str, Joint] = _build_joints()


def get_joint(name: str) -> Joint:
    """Look a joint up by name; accepts "L4-L5", "l4-5", "L4/L5" and "L4L5".

    Raises ``KeyError`` naming the allowed joints.
    """
    cleaned = name.strip().upper().replace("/", "-").replace(" ", "")
    if "-" not in cleaned and len(cleaned) >= 4:
        split = 2
        cleaned = f"{cleaned[:split]}-{cleaned[split:]}"
    upper, _, lower = cleaned.partition("-")
    if lower.isdigit() and upper[:1]:
        lower = f"{upper[0]}{lower}"
    key = f"{upper}-{lower}"
    if key not in JOINTS:
        raise KeyError(f"unknown joint {name!r}; allowed: {', '.join(JOINTS)}")
    return JOINTS[key]
