"""Rank candidate cannula settings for a joint: capture probability under safety constraints.

A candidate is a cannula setting (gauge, active tip, set temperature, time at
temperature) plus a technique (angle to the nerve, one or two lesions per
nerve). Each setting is simulated once (:func:`rhizo.planning.lesions.lesion_for`)
and every technique reuses that lesion. Every candidate is evaluated with the
same random numbers (same seed), so differences between candidates are not
sampling noise of independent runs.

Poses are drawn once per (placement, nerve, tip, cannula, sample count) and
shared by every candidate that differs only in temperature or time
(:mod:`rhizo.planning.pose_set`): common random numbers, so the comparisons
between those candidates carry less sampling noise, and the tip-depth contact
test runs once per pose set. The safety check reuses the same poses where they
are the same draw (up to :data:`~rhizo.planning.pose_set.CHUNK` samples).

The joint is denervated when every target nerve is captured; nerves are
lesioned through separate placements, taken as independent, so the joint's
probability is the product of the nerves'. Its interval multiplies the nerves'
Wilson bounds (a conservative envelope, not an exact interval).

Safety (:mod:`rhizo.planning.safety`): a candidate is *excluded* when its set
temperature lies outside the region's evidence-supported range or when its
lesion reaches a structure at risk (ventral ramus; in the neck also the
vertebral artery) in more than :data:`~rhizo.planning.safety.MAX_REACH_PROBABILITY`
of simulated placements. Safe candidates rank first, by

1. joint capture probability (higher first),
2. expected coagulated length of nerve (the smallest nerve's mean captured
   length, longer first: the clinical reason for long tips laid parallel is
   more nerve in the lesion, Bogduk 1987, Lau 2004),
3. union lesion volume (smaller first; overlapping lesions counted once,
   :mod:`rhizo.planning.union`), then total time.

The default grid spans what guidelines and bench studies discuss: gauges 16-22
(Cohen 2020 recommends "large", preferably >= 18 G), 5 and 10 mm tips (MacVicar
2013 used 16 G with 5 or 10 mm tips), 80 and 85 C (inside the lumbar
evidence range 60-85 C; the neck's range stops at 80 C), 90 and 120 s (Cohen
2020: >= 1.5 min in practice, preferably >= 2 min in trials).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rhizo.physics import LesionProtocol
from rhizo.planning.anatomy import Joint, Nerve
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM
from rhizo.planning.lesions import LESION_RADIUS_CV, LesionProfile, lesion_for, planner_protocol
from rhizo.planning.montecarlo import CaptureEstimate, estimate_capture
from rhizo.planning.placement import CannulaPlacement, PlacementError, Poses, planned_pose
from rhizo.planning.pose_set import PoseSet, draw_pose_set
from rhizo.planning.safety import (
    MAX_REACH_PROBABILITY,
    TEMPERATURE_RANGES_C,
    StructureRisk,
    risk_poses,
    structure_risks,
)
from rhizo.planning.union import PlacedLesion, union_volume_mm3

ProgressCallback = Callable[[int, int], None]

DEFAULT_GAUGES: tuple[int, ...] = (16, 18, 20, 22)
DEFAULT_TIPS_MM: tuple[float, ...] = (5.0, 10.0)
DEFAULT_TEMPERATURES_C: tuple[float, ...] = (80.0, 85.0)
DEFAULT_TIMES_S: tuple[float, ...] = (90.0, 120.0)
DEFAULT_ANGLES_DEG: tuple[float, ...] = (0.0, 45.0)
DEFAULT_LESION_COUNTS: tuple[int, ...] = (1, 2)
#: Centreline spacing for ranking (coarser than the default 0.1 mm, for speed).
RANKING_SPACING_MM = 0.2


@dataclass(frozen=True)
class Setting:
    """A cannula and generator setting (one lesion simulation)."""

    gauge: int
    tip_length_mm: float
    set_temperature_c: float
    duration_s: float

    def protocol(self) -> LesionProtocol:
        """The lesion engine's protocol for this setting."""
        return planner_protocol(
            gauge=self.gauge,
            tip_length_mm=self.tip_length_mm,
            set_temperature_c=self.set_temperature_c,
            duration_s=self.duration_s,
        )


@dataclass(frozen=True)
class Candidate:
    """A setting plus a technique: angle to the nerve and lesions per nerve."""

    setting: Setting
    angle_deg: float
    lesion_count: int

    @property
    def technique(self) -> str:
        """Short label, e.g. 'parallel x2' or 'angled 45 deg x1'."""
        angle = "parallel" if self.angle_deg == 0 else f"angled {self.angle_deg:g} deg"
        return f"{angle} x{self.lesion_count}"


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate with its per-nerve estimates, safety and the joint-level probability."""

    candidate: Candidate
    nerves: tuple[CaptureEstimate, ...]
    joint_probability: float
    joint_ci95: tuple[float, float]
    lesion_width_mm: float
    union_volume_mm3: float
    lesion_time_s: float
    risks: tuple[StructureRisk, ...] = ()
    excluded_because: tuple[str, ...] = ()

    @property
    def safe(self) -> bool:
        """Whether no safety constraint excludes the candidate."""
        return not self.excluded_because

    @property
    def expected_coagulated_length_mm(self) -> float:
        """The smallest mean captured length over the joint's nerves (mm)."""
        return min(estimate.mean_captured_length_mm for estimate in self.nerves)

    @property
    def safety_margin_mm(self) -> float:
        """The smallest planned clearance to any structure at risk (mm; inf if none)."""
        return min((risk.planned_clearance_mm for risk in self.risks), default=float("inf"))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (no NaN or infinity)."""
        setting = self.candidate.setting
        margin = self.safety_margin_mm
        return {
            "gauge": setting.gauge,
            "tip_mm": setting.tip_length_mm,
            "temp_c": setting.set_temperature_c,
            "time_s": setting.duration_s,
            "angle_deg": self.candidate.angle_deg,
            "lesions_per_nerve": self.candidate.lesion_count,
            "technique": self.candidate.technique,
            "joint_capture_probability": self.joint_probability,
            "joint_ci95": list(self.joint_ci95),
            "expected_coagulated_length_mm": round(self.expected_coagulated_length_mm, 3),
            "lesion_width_mm": round(self.lesion_width_mm, 3),
            "union_volume_mm3": round(self.union_volume_mm3, 1),
            "lesion_time_s": self.lesion_time_s,
            "safe": self.safe,
            "excluded_because": list(self.excluded_because),
            "safety_margin_mm": round(margin, 3) if np.isfinite(margin) else None,
            "structures": [risk.to_dict() for risk in self.risks],
            "nerves": [estimate.to_dict() for estimate in self.nerves],
        }


def candidate_grid(
    *,
    gauges: Sequence[int] = DEFAULT_GAUGES,
    tips_mm: Sequence[float] = DEFAULT_TIPS_MM,
    temperatures_c: Sequence[float] = DEFAULT_TEMPERATURES_C,
    times_s: Sequence[float] = DEFAULT_TIMES_S,
    angles_deg: Sequence[float] = DEFAULT_ANGLES_DEG,
    lesion_counts: Sequence[int] = DEFAULT_LESION_COUNTS,
) -> list[Candidate]:
    """Every combination of the given values."""
    return [
        Candidate(Setting(g, t, temp, time), angle, count)
        for g, t, temp, time, angle, count in itertools.product(
            gauges, tips_mm, temperatures_c, times_s, angles_deg, lesion_counts
        )
    ]


def placed_lesions(
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    planned: Poses | None = None,
) -> list[PlacedLesion]:
    """The planned lesions of one nerve's placement, in the nerve frame (no error).

    ``planned`` (:attr:`rhizo.planning.pose_set.PoseSet.planned`) skips drawing the pose.
    """
    pose = planned or planned_pose(
        placement,
        nerve,
        tip_length_mm=profile.tip_length_m * 1e3,
        cannula_radius_mm=profile.cannula_radius_m * 1e3,
    )
    direction = tuple(float(v) for v in pose.directions[0])
    return [
        PlacedLesion(profile, tuple(float(v) for v in tips[0]), direction)  # type: ignore[arg-type]
        for tips in pose.tips
    ]


def safety_exclusions(
    joint: Joint, setting: Setting, risks: Sequence[StructureRisk]
) -> tuple[str, ...]:
    """Why a candidate is excluded (empty when safe): temperature range, structures reached."""
    reasons: list[str] = []
    allowed = TEMPERATURE_RANGES_C[joint.region]
    if not allowed.allows(setting.set_temperature_c):
        reasons.append(
            f"{setting.set_temperature_c:g} C outside the {joint.region} evidence range "
            f"{allowed.low_c:g}-{allowed.high_c:g} C"
        )
    for risk in risks:
        if risk.reach_probability > MAX_REACH_PROBABILITY:
            reasons.append(
                f"lesion reaches the {risk.name} in {risk.reach_probability:.1%} of placements "
                f"(limit {MAX_REACH_PROBABILITY:.0%})"
            )
    return tuple(reasons)


def _worst_risks(per_nerve: Sequence[Sequence[StructureRisk]]) -> tuple[StructureRisk, ...]:
    """Per structure, the nerve placement closest to it (smallest clearance, largest reach)."""
    worst: dict[str, StructureRisk] = {}
    for risks in per_nerve:
        for risk in risks:
            seen = worst.get(risk.name)
            if seen is None:
                worst[risk.name] = risk
            else:
                worst[risk.name] = StructureRisk(
                    risk.name,
                    min(seen.planned_clearance_mm, risk.planned_clearance_mm),
                    max(seen.reach_probability, risk.reach_probability),
                )
    return tuple(worst.values())


PoseKey = tuple[str, str, float, float, int]


@dataclass
class _PoseCache:
    """Pose sets and safety poses drawn once per placement, nerve, tip, cannula and count."""

    errors: PlacementError
    seed: int | None
    capture: dict[PoseKey, PoseSet]
    risk: dict[PoseKey, tuple[Poses, Poses]]

    @staticmethod
    def key(
        placement: CannulaPlacement, nerve: Nerve, profile: LesionProfile, samples: int
    ) -> PoseKey:
        """What the poses depend on (not the lesion's temperature or time)."""
        return (
            placement.model_dump_json(),
            nerve.name,
            profile.tip_length_m * 1e3,
            profile.cannula_radius_m * 1e3,
            samples,
        )

    def pose_set(
        self, placement: CannulaPlacement, nerve: Nerve, profile: LesionProfile, samples: int
    ) -> PoseSet:
        """The capture estimate's poses (:func:`rhizo.planning.pose_set.draw_pose_set`)."""
        key = self.key(placement, nerve, profile, samples)
        found = self.capture.get(key)
        if found is None:
            found = draw_pose_set(
                placement,
                nerve,
                tip_length_mm=key[2],
                cannula_radius_mm=key[3],
                errors=self.errors,
                samples=samples,
                seed=self.seed,
                radius_cv=LESION_RADIUS_CV,
            )
            self.capture[key] = found
        return found

    def risk_poses(
        self, placement: CannulaPlacement, nerve: Nerve, profile: LesionProfile, samples: int
    ) -> tuple[Poses, Poses]:
        """The safety check's poses: the capture set's own where they are the same draw
        (one batch), else :func:`rhizo.planning.safety.risk_poses`, drawn once."""
        shared = self.pose_set(placement, nerve, profile, samples).risk_poses()
        if shared is not None:
            return shared
        key = self.key(placement, nerve, profile, samples)
        found = self.risk.get(key)
        if found is None:
            found = risk_poses(
                placement,
                nerve,
                tip_length_mm=key[2],
                cannula_radius_mm=key[3],
                errors=self.errors,
                samples=samples,
                seed=self.seed,
            )
            self.risk[key] = found
        return found


def rank_key(entry: RankedCandidate) -> tuple[bool, float, float, float, float]:
    """Sort key: safe first, then capture, coagulated length, union volume, time."""
    return (
        not entry.safe,
        -entry.joint_probability,
        -round(entry.expected_coagulated_length_mm, 6),
        entry.union_volume_mm3,
        entry.lesion_time_s,
    )


def rank_candidates(
    joint: Joint,
    candidates: Sequence[Candidate],
    *,
    offset_mm: float = 1.0,
    samples: int = 1000,
    seed: int | None = 0,
    errors: PlacementError | None = None,
    min_length_mm: float = MIN_CAPTURED_LENGTH_MM,
    progress: ProgressCallback | None = None,
    lesion_source: Callable[[LesionProtocol], LesionProfile] = lesion_for,
    screen_samples: int | None = None,
    refine_top: int = 24,
) -> list[RankedCandidate]:
    """Evaluate every candidate and sort by :func:`rank_key` (best first).

    With ``screen_samples`` (< ``samples``) every candidate is first evaluated
    with that many samples, and the ``refine_top`` best of that screen are
    evaluated again with ``samples`` (the same seed: their numbers equal an
    unscreened run's); the rest keep their screening estimate, and every
    estimate says how many samples it used. ``progress(done, total)`` is called
    after each evaluation.
    """
    error_model = errors or PlacementError()
    pose_cache = _PoseCache(errors=error_model, seed=seed, capture={}, risk={})
    screening = screen_samples is not None and screen_samples < samples
    first_samples = screen_samples if screen_samples is not None and screening else samples
    total = len(candidates) + (min(refine_top, len(candidates)) if screening else 0)
    done = 0

    def evaluate(candidate: Candidate, count: int) -> RankedCandidate:
        nonlocal done
        entry = _evaluate(
            joint,
            candidate,
            offset_mm=offset_mm,
            samples=count,
            seed=seed,
            errors=error_model,
            min_length_mm=min_length_mm,
            lesion_source=lesion_source,
            pose_cache=pose_cache,
        )
        done += 1
        if progress is not None:
            progress(done, total)
        return entry

    ranked = [evaluate(candidate, first_samples) for candidate in candidates]
    if screening:
        ranked.sort(key=rank_key)
        refined = [evaluate(entry.candidate, samples) for entry in ranked[:refine_top]]
        ranked = refined + ranked[refine_top:]
    ranked.sort(key=rank_key)
    return ranked


def _evaluate(
    joint: Joint,
    candidate: Candidate,
    *,
    offset_mm: float,
    samples: int,
    seed: int | None,
    errors: PlacementError,
    min_length_mm: float,
    lesion_source: Callable[[LesionProtocol], LesionProfile],
    pose_cache: _PoseCache,
) -> RankedCandidate:
    """One candidate's estimates, safety and union volume."""
    error_model = errors
    profile = lesion_source(candidate.setting.protocol())
    placement = CannulaPlacement(
        angle_deg=candidate.angle_deg,
        offset_mm=offset_mm,
        lesion_count=candidate.lesion_count,
    )
    estimates = tuple(
        estimate_capture(
            profile,
            nerve,
            placement,
            errors=error_model,
            samples=samples,
            seed=seed,
            min_length_mm=min_length_mm,
            spacing_mm=RANKING_SPACING_MM,
            poses=pose_cache.pose_set(placement, nerve, profile, samples),
        )
        for nerve in joint.nerves
    )
    risks = _worst_risks(
        [
            structure_risks(
                profile,
                joint,
                nerve,
                placement,
                errors=error_model,
                samples=samples,
                seed=seed,
                poses=pose_cache.risk_poses(placement, nerve, profile, samples),
            )
            for nerve in joint.nerves
        ]
    )
    probability, low, high = 1.0, 1.0, 1.0
    for estimate in estimates:
        probability *= estimate.capture_probability
        low *= estimate.ci95[0]
        high *= estimate.ci95[1]
    dimensions = profile.dimensions
    width = dimensions.width_mm if dimensions else 2e3 * float(profile.radius_m.max())
    # Each nerve's lesions overlap one another, never another nerve's (other level).
    volume = sum(
        union_volume_mm3(
            placed_lesions(
                profile,
                nerve,
                placement,
                planned=pose_cache.pose_set(placement, nerve, profile, samples).planned,
            )
        ).volume_mm3
        for nerve in joint.nerves
    )
    lesions = candidate.lesion_count * len(joint.nerves)
    return RankedCandidate(
        candidate=candidate,
        nerves=estimates,
        joint_probability=probability,
        joint_ci95=(low, high),
        lesion_width_mm=width,
        union_volume_mm3=volume,
        lesion_time_s=candidate.setting.duration_s * lesions,
        risks=risks,
        excluded_because=safety_exclusions(joint, candidate.setting, risks),
    )
