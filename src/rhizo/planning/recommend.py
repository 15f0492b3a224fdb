"""Rank candidate cannula settings for a joint by the probability of capturing its nerves.

A candidate is a cannula setting (gauge, active tip, set temperature, time at
temperature) plus a technique (angle to the nerve, one or two lesions per
nerve). Each setting is simulated once (:func:`rhizo.planning.lesions.lesion_for`)
and every technique reuses that lesion. Every candidate is evaluated with the
same random numbers (same seed), so differences between candidates are not
sampling noise of independent runs.

The joint is denervated when every target nerve is captured; nerves are
lesioned through separate placements, taken as independent, so the joint's
probability is the product of the nerves'. Its interval multiplies the nerves'
Wilson bounds (a conservative envelope, not an exact interval).

The default grid spans what guidelines and bench studies discuss: gauges 16-22
(Cohen 2020 recommends "large", preferably >= 18 G), 5 and 10 mm tips (MacVicar
2013 used 16 G with 5 or 10 mm tips), 80 and 90 C (Lord 1996: 80 C), 90 and
120 s (Cohen 2020: >= 1.5 min in practice, preferably >= 2 min in trials).
The trade-off shown with each candidate is its coagulated volume (tissue
destroyed besides the nerve) and time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rhizo.physics import CLINICAL_TISSUE, LesionProtocol
from rhizo.planning.anatomy import Joint
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM
from rhizo.planning.lesions import LesionProfile, lesion_for
from rhizo.planning.montecarlo import CaptureEstimate, estimate_capture
from rhizo.planning.placement import CannulaPlacement, PlacementError

ProgressCallback = Callable[[int, int], None]

DEFAULT_GAUGES: tuple[int, ...] = (16, 18, 20, 22)
DEFAULT_TIPS_MM: tuple[float, ...] = (5.0, 10.0)
DEFAULT_TEMPERATURES_C: tuple[float, ...] = (80.0, 90.0)
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
        return LesionProtocol(
            tissue=CLINICAL_TISSUE,
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
    """A candidate with its per-nerve estimates and the joint-level probability."""

    candidate: Candidate
    nerves: tuple[CaptureEstimate, ...]
    joint_probability: float
    joint_ci95: tuple[float, float]
    lesion_width_mm: float
    coagulated_volume_mm3: float
    lesion_time_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        setting = self.candidate.setting
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
            "lesion_width_mm": round(self.lesion_width_mm, 3),
            "coagulated_volume_mm3": round(self.coagulated_volume_mm3, 1),
            "lesion_time_s": self.lesion_time_s,
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
) -> list[RankedCandidate]:
    """Evaluate every candidate and sort by joint capture probability (best first).

    Ties are broken by the smaller coagulated volume, then the shorter time.
    ``progress(done, total)`` is called after each candidate.
    """
    ranked: list[RankedCandidate] = []
    total = len(candidates)
    for done, candidate in enumerate(candidates, start=1):
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
                errors=errors,
                samples=samples,
                seed=seed,
                min_length_mm=min_length_mm,
                spacing_mm=RANKING_SPACING_MM,
            )
            for nerve in joint.nerves
        )
        probability, low, high = 1.0, 1.0, 1.0
        for estimate in estimates:
            probability *= estimate.capture_probability
            low *= estimate.ci95[0]
            high *= estimate.ci95[1]
        dimensions = profile.dimensions
        width = dimensions.width_mm if dimensions else 2e3 * float(profile.radius_m.max())
        volume = dimensions.volume_mm3 if dimensions else 0.0
        lesions = candidate.lesion_count * len(joint.nerves)
        ranked.append(
            RankedCandidate(
                candidate=candidate,
                nerves=estimates,
                joint_probability=probability,
                joint_ci95=(low, high),
                lesion_width_mm=width,
                coagulated_volume_mm3=volume * lesions,
                lesion_time_s=candidate.setting.duration_s * lesions,
            )
        )
        if progress is not None:
            progress(done, total)
    ranked.sort(key=lambda r: (-r.joint_probability, r.coagulated_volume_mm3, r.lesion_time_s))
    return ranked
