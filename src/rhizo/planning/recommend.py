"""Rank candidate cannula settings for a joint: capture probability under safety constraints.

A candidate is a cannula setting (gauge, active tip, set temperature, time at
temperature) plus a technique (angle to the nerve, one or two lesions per
nerve). Each setting is simulated once (:func:`rhizo.planning.lesions.lesion_for`)
and every technique reuses that lesion. Every candidate is evaluated with the
same random numbers (same seed), so differences between candidates are not
sampling noise of independent runs.

Poses are drawn once per (placement, nerve, tip, cannula, sample count) and
shared by every candidate that differs only in temperature or time
(:mod:`rhizo.planning.staged`): common random numbers, so the comparisons
between those candidates carry less sampling noise, and the tip-depth contact
test runs once per pose set. The safety check uses the same poses.

The joint is denervated when every target nerve is captured; nerves are
lesioned through separate placements, taken as independent, so the joint's
probability is the product of the nerves' (:mod:`rhizo.planning.joint`). Its
interval multiplies the nerves' Wilson bounds (a conservative envelope, not an
exact interval).

Safety (:mod:`rhizo.planning.safety`): a candidate is *excluded* when its set
temperature lies outside the region's evidence-supported range or when its
lesion reaches a structure at risk (ventral ramus; in the neck also the
vertebral artery) in more than :data:`~rhizo.planning.safety.MAX_REACH_PROBABILITY`
of simulated placements.

Which one is recommended (:func:`order_ranking`; docs/planning.md, "Which
candidate is recommended"): capture first, but not the largest lesion by
default. The *best* is the safe candidate with the highest joint lower bound.
Every safe candidate whose joint interval overlaps the best's cannot be told
from it at the samples used; among those the least lesioning one is
recommended: fewest lesions per nerve, then the smallest union volume
(overlapping lesions counted once, :mod:`rhizo.planning.union`), then the
shortest total time. The other safe candidates follow by capture, coagulated
length, union volume and time (:func:`capture_key`), then the excluded ones;
:func:`largest_capture_alternative` reports what the best-capture one would
gain and cost.

Adaptive screen (``screen_samples``): every candidate is evaluated on the first
``screen_samples`` samples of its pose set, and only candidates not shown worse
than the leader (upper bound at or above its lower bound; :func:`contenders`)
go on, the sample count doubling up to the full one; a candidate that reaches
the full count has exactly the numbers of an unscreened run.

The default grid spans what guidelines and bench studies discuss: gauges 16-22
(Cohen 2020 recommends "large", preferably >= 18 G), 5 and 10 mm tips (MacVicar
2013 used 16 G with 5 or 10 mm tips), 80 and 85 C (inside the lumbar
evidence range 60-85 C; the neck's range stops at 80 C), 90 and 120 s (Cohen
2020: >= 1.5 min in practice, preferably >= 2 min in trials).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rhizo.physics import LesionProtocol
from rhizo.planning.anatomy import Joint, Nerve
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM, captured_lengths_m
from rhizo.planning.joint import joint_capture_of
from rhizo.planning.lesions import LESION_RADIUS_CV, LesionProfile, lesion_for, planner_protocol
from rhizo.planning.montecarlo import (
    CENTRELINE_SPACING_MM,
    CaptureEstimate,
    estimate_from_lengths,
)
from rhizo.planning.placement import CannulaPlacement, PlacementError, Poses, planned_pose
from rhizo.planning.safety import (
    MAX_REACH_PROBABILITY,
    TEMPERATURE_RANGES_C,
    StructureRisk,
    planned_clearances_mm,
    reach_fractions,
    risks_from,
)
from rhizo.planning.staged import (
    StagedLengths,
    StagedPoseSet,
    draw_staged_pose_set,
    extend_together,
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
    #: Set by :func:`order_ranking`: capture equivalent to the best safe candidate's.
    equivalent_to_best: bool = False

    @property
    def samples(self) -> int:
        """Samples per nerve behind the estimates (the smallest over the nerves)."""
        return min((estimate.samples for estimate in self.nerves), default=0)

    @property
    def label(self) -> str:
        """E.g. '16 G, 10 mm, 85 C, 120 s, parallel x1'."""
        setting = self.candidate.setting
        return (
            f"{setting.gauge} G, {setting.tip_length_mm:g} mm, {setting.set_temperature_c:g} C, "
            f"{setting.duration_s:g} s, {self.candidate.technique}"
        )

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
            "equivalent_to_best": self.equivalent_to_best,
            "samples": self.samples,
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
    """Staged pose sets drawn once per placement, nerve, tip, cannula and sample count."""

    errors: PlacementError
    seed: int | None
    sets: dict[PoseKey, StagedPoseSet]

    def pose_set(
        self, placement: CannulaPlacement, nerve: Nerve, profile: LesionProfile, samples: int
    ) -> StagedPoseSet:
        """The poses of (placement, nerve, tip, cannula): not of the temperature or time."""
        key = (
            placement.model_dump_json(),
            nerve.name,
            profile.tip_length_m * 1e3,
            profile.cannula_radius_m * 1e3,
            samples,
        )
        found = self.sets.get(key)
        if found is None:
            found = draw_staged_pose_set(
                placement,
                nerve,
                tip_length_mm=key[2],
                cannula_radius_mm=key[3],
                errors=self.errors,
                samples=samples,
                seed=self.seed,
                radius_cv=LESION_RADIUS_CV,
            )
            self.sets[key] = found
        return found


def capture_key(entry: RankedCandidate) -> tuple[bool, float, float, float, float]:
    """Safe first, then joint capture, expected coagulated length, union volume, time."""
    return (
        not entry.safe,
        -entry.joint_probability,
        -round(entry.expected_coagulated_length_mm, 6),
        entry.union_volume_mm3,
        entry.lesion_time_s,
    )


def rank_key(entry: RankedCandidate) -> tuple[bool, float, float, float, float]:
    """:func:`capture_key` (kept under its old name: the order before the preference rule)."""
    return capture_key(entry)


def preference_key(entry: RankedCandidate) -> tuple[int, float, float, float, float]:
    """Among candidates equivalent in capture: fewest lesions per nerve, smallest union
    volume, shortest total time, then higher capture and longer coagulated length."""
    return (
        entry.candidate.lesion_count,
        round(entry.union_volume_mm3, 6),
        entry.lesion_time_s,
        -entry.joint_probability,
        -round(entry.expected_coagulated_length_mm, 6),
    )


def equivalent_capture(entry: RankedCandidate, best: RankedCandidate) -> bool:
    """Whether ``entry``'s joint capture cannot be told from ``best``'s at the samples
    used: their 95 % intervals overlap (``entry``'s upper bound reaches ``best``'s
    lower bound)."""
    return entry.joint_ci95[1] >= best.joint_ci95[0]


def leader(entries: Sequence[RankedCandidate]) -> RankedCandidate | None:
    """The safe candidate with the highest joint lower bound (ties: :func:`capture_key`)."""
    safe = [entry for entry in entries if entry.safe]
    if not safe:
        return None
    return min(safe, key=lambda entry: (-entry.joint_ci95[0], capture_key(entry)))


def order_ranking(entries: Sequence[RankedCandidate]) -> list[RankedCandidate]:
    """The ranking rule (docs/planning.md, "Which candidate is recommended").

    The *best* is the :func:`leader` (highest joint lower bound) of the safe
    candidates evaluated with the most samples. The safe candidates with that many
    samples whose capture is equivalent to the best's (:func:`equivalent_capture`:
    the intervals overlap) come first, ordered by :func:`preference_key` (the least
    lesioning that captures as well) and marked ``equivalent_to_best``; the other
    safe candidates follow by :func:`capture_key`, then the excluded ones.
    """
    if not entries:
        return []
    full = max(entry.samples for entry in entries)
    best = leader([entry for entry in entries if entry.samples == full])
    if best is None:
        return sorted(entries, key=capture_key)
    tier = sorted(
        (
            entry
            for entry in entries
            if entry.safe and entry.samples == full and equivalent_capture(entry, best)
        ),
        key=preference_key,
    )
    chosen = {id(entry) for entry in tier}
    rest = sorted((entry for entry in entries if id(entry) not in chosen), key=capture_key)
    return [dataclasses.replace(entry, equivalent_to_best=True) for entry in tier] + [
        dataclasses.replace(entry, equivalent_to_best=False) for entry in rest
    ]


def largest_capture_alternative(ranked: Sequence[RankedCandidate]) -> dict[str, object] | None:
    """The best-capture safe candidate when the rule recommends another, with what it
    gains over the recommended one (joint capture, coagulated length) and costs (union
    volume, lesions, time); None when the recommended one is also the best."""
    tier = [entry for entry in ranked if entry.equivalent_to_best]
    if not tier:
        return None
    chosen, best = tier[0], min(tier, key=capture_key)
    if best is chosen:
        return None
    return {
        "rank": ranked.index(best) + 1,
        "setting": best.label,
        "joint_capture_gain": round(best.joint_probability - chosen.joint_probability, 4),
        "coagulated_length_gain_mm": round(
            best.expected_coagulated_length_mm - chosen.expected_coagulated_length_mm, 3
        ),
        "union_volume_extra_mm3": round(best.union_volume_mm3 - chosen.union_volume_mm3, 1),
        "extra_lesions_per_nerve": best.candidate.lesion_count - chosen.candidate.lesion_count,
        "extra_time_s": best.lesion_time_s - chosen.lesion_time_s,
    }


def stage_schedule(samples: int, screen_samples: int | None) -> list[int]:
    """Sample counts of the adaptive screen's stages: ``screen_samples``, doubled until
    ``samples`` (the last stage); ``[samples]`` without a screen."""
    if samples < 1:
        raise ValueError(f"samples {samples!r}: allowed an integer >= 1")
    if screen_samples is None or screen_samples >= samples:
        return [samples]
    if screen_samples < 1:
        raise ValueError(f"screen_samples {screen_samples!r}: allowed an integer >= 1")
    stages = [screen_samples]
    while stages[-1] * 2 < samples:
        stages.append(stages[-1] * 2)
    return [*stages, samples]


def contenders(entries: Sequence[RankedCandidate]) -> list[RankedCandidate]:
    """The safe candidates not shown worse than the :func:`leader`: a candidate whose
    joint upper bound is below the leader's lower bound is worse beyond sampling
    noise (and is not evaluated further by the adaptive screen)."""
    top = leader(entries)
    if top is None:
        return []
    return [entry for entry in entries if entry.safe and entry.joint_ci95[1] >= top.joint_ci95[0]]


def to_refine(
    entries: Sequence[RankedCandidate], *, full: int, keep_top: int | None
) -> list[RankedCandidate]:
    """The contenders the adaptive screen evaluates further (those below ``full``
    samples): all of them when ``keep_top`` is None, else the leader, the
    ``keep_top`` best by :func:`capture_key` (to find the best) and the ``keep_top``
    first by :func:`preference_key` (to find the recommended one)."""
    alive = contenders(entries)
    if keep_top is not None:
        top = leader(entries)
        kept = {id(entry) for entry in sorted(alive, key=capture_key)[:keep_top]}
        kept |= {id(entry) for entry in sorted(alive, key=preference_key)[:keep_top]}
        kept |= {id(top)} if top is not None else set()
        alive = [entry for entry in alive if id(entry) in kept]
    return [entry for entry in alive if entry.samples < full]


@dataclass
class _Fixed:
    """What a candidate's evaluation does not owe to the samples: lesion, placement,
    planned lengths, union volume."""

    profile: LesionProfile
    placement: CannulaPlacement
    planned_mm: tuple[float, ...]
    volume_mm3: float
    lengths: tuple[StagedLengths, ...]
    #: Per nerve, each structure's planned clearance (mm).
    clearances_mm: tuple[tuple[float, ...], ...]


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
    refine_top: int | None = None,
) -> list[RankedCandidate]:
    """Evaluate every candidate and order them by :func:`order_ranking` (recommended first).

    With ``screen_samples`` (< ``samples``) the evaluation is an adaptive screen
    (:func:`stage_schedule`): every candidate starts on the first
    ``screen_samples`` samples of its pose set; after each stage only the
    :func:`contenders` (``refine_top``: at least that many) go on to the next
    stage's samples, the others keep their estimate (which says how many samples
    it used). The stages are prefixes of one pose set per placement
    (:mod:`rhizo.planning.staged`), so a candidate that reaches the last stage has
    exactly the numbers of an unscreened evaluation with the same seed.
    ``progress(done, total)`` is called after each evaluation (``total`` shrinks as
    candidates drop out).
    """
    error_model = errors or PlacementError()
    if not (np.isfinite(min_length_mm) and min_length_mm > 0):
        raise ValueError(f"min_length_mm {min_length_mm!r}: allowed a finite length > 0 mm")
    pose_cache = _PoseCache(errors=error_model, seed=seed, sets={})
    schedule = stage_schedule(samples, screen_samples)
    fixed = [
        _fixed(joint, candidate, offset_mm, samples, lesion_source, pose_cache)
        for candidate in candidates
    ]
    done = 0

    def evaluate(number: int, count: int, left: int) -> RankedCandidate:
        nonlocal done
        entry = _evaluate_staged(
            joint,
            candidates[number],
            fixed[number],
            count=count,
            min_length_mm=min_length_mm,
        )
        done += 1
        if progress is not None:
            progress(done, done + left)
        return entry

    total = len(candidates)
    _planned_lengths(fixed)
    _extend([fixed[n] for n in range(total)], schedule[0])
    latest = [evaluate(n, schedule[0], total - n - 1) for n in range(total)]
    stage = [0] * total
    # Rounds: the contenders chosen by to_refine go one stage further, until the
    # leader and every chosen contender have the full sample count.
    while True:
        where = {id(entry): n for n, entry in enumerate(latest)}
        chosen = [where[id(e)] for e in to_refine(latest, full=samples, keep_top=refine_top)]
        if not chosen:
            break
        for count in sorted({schedule[stage[number] + 1] for number in chosen}):
            _extend([fixed[n] for n in chosen if schedule[stage[n] + 1] == count], count)
        for position, number in enumerate(chosen):
            stage[number] += 1
            latest[number] = evaluate(number, schedule[stage[number]], len(chosen) - position - 1)
    return order_ranking(latest)


def _extend(group: Sequence[_Fixed], count: int) -> None:
    """Compute the candidates' lengths up to ``count`` samples, nerve by nerve, sibling
    lesions on one pose set together (:func:`rhizo.planning.staged.extend_together`)."""
    if group:
        for nerve in range(len(group[0].lengths)):
            extend_together([member.lengths[nerve] for member in group], count)


def _planned_lengths(group: Sequence[_Fixed]) -> None:
    """Each candidate's captured length at the plan per nerve (mm): what
    :func:`rhizo.planning.montecarlo.planned_captured_length_mm` gives, the
    candidates on one pose set in one :func:`rhizo.planning.capture.captured_lengths_m`
    call (each profile's length does not depend on the others)."""
    if not group:
        return
    found: dict[int, list[float]] = {id(member): [] for member in group}
    for nerve in range(len(group[0].lengths)):
        siblings: dict[int, list[_Fixed]] = {}
        for member in group:
            siblings.setdefault(id(member.lengths[nerve].pose_set), []).append(member)
        for members in siblings.values():
            pose_set = members[0].lengths[nerve].pose_set
            planned = pose_set.planned
            lengths = captured_lengths_m(
                [member.profile for member in members],
                pose_set.centreline_m(CENTRELINE_SPACING_MM),
                planned.tips,
                planned.directions,
                planned.nerve_radius_m,
            )
            for member, row in zip(members, lengths, strict=True):
                found[id(member)].append(float(row[0]) * 1e3)
    for member in group:
        member.planned_mm = tuple(found[id(member)])


def _fixed(
    joint: Joint,
    candidate: Candidate,
    offset_mm: float,
    samples: int,
    lesion_source: Callable[[LesionProtocol], LesionProfile],
    pose_cache: _PoseCache,
) -> _Fixed:
    """The candidate's lesion, placement, planned lengths, union volume and length caches."""
    profile = lesion_source(candidate.setting.protocol())
    placement = CannulaPlacement(
        angle_deg=candidate.angle_deg, offset_mm=offset_mm, lesion_count=candidate.lesion_count
    )
    sets = [pose_cache.pose_set(placement, nerve, profile, samples) for nerve in joint.nerves]
    # Each nerve's lesions overlap one another, never another nerve's (other level).
    volume = sum(
        union_volume_mm3(
            placed_lesions(profile, nerve, placement, planned=pose_set.planned)
        ).volume_mm3
        for nerve, pose_set in zip(joint.nerves, sets, strict=True)
    )
    return _Fixed(
        profile=profile,
        placement=placement,
        planned_mm=(),  # filled by _planned_lengths, sibling lesions together
        volume_mm3=volume,
        lengths=tuple(StagedLengths(profile, pose_set, RANKING_SPACING_MM) for pose_set in sets),
        clearances_mm=tuple(
            planned_clearances_mm(profile, joint, pose_set.planned) for pose_set in sets
        ),
    )


def _evaluate_staged(
    joint: Joint,
    candidate: Candidate,
    fixed: _Fixed,
    *,
    count: int,
    min_length_mm: float,
) -> RankedCandidate:
    """One candidate on the first ``count`` samples: estimates, safety, joint capture."""
    profile = fixed.profile
    estimates = tuple(
        estimate_from_lengths(
            profile,
            nerve,
            lengths.up_to(count),
            planned_length_mm=planned,
            min_length_mm=min_length_mm,
            radius_cv=LESION_RADIUS_CV,
        )
        for nerve, lengths, planned in zip(
            joint.nerves, fixed.lengths, fixed.planned_mm, strict=True
        )
    )
    # The safety check on the same poses: structure_risks' numbers, the planned
    # clearances computed once per candidate.
    risks = _worst_risks(
        [
            risks_from(
                joint, clearances, reach_fractions(profile, joint, lengths.pose_set.poses(count))
            )
            for lengths, clearances in zip(fixed.lengths, fixed.clearances_mm, strict=True)
        ]
    )
    probability, (low, high) = joint_capture(estimates)
    dimensions = profile.dimensions
    width = dimensions.width_mm if dimensions else 2e3 * float(profile.radius_m.max())
    lesions = candidate.lesion_count * len(joint.nerves)
    return RankedCandidate(
        candidate=candidate,
        nerves=estimates,
        joint_probability=probability,
        joint_ci95=(low, high),
        lesion_width_mm=width,
        union_volume_mm3=fixed.volume_mm3,
        lesion_time_s=candidate.setting.duration_s * lesions,
        risks=risks,
        excluded_because=safety_exclusions(joint, candidate.setting, risks),
    )


def joint_capture(estimates: Sequence[CaptureEstimate]) -> tuple[float, tuple[float, float]]:
    """P(every nerve captured) for separate, independent placements with its
    conservative interval (:func:`rhizo.planning.joint.joint_capture_of`)."""
    return joint_capture_of([(e.capture_probability, e.ci95) for e in estimates])
