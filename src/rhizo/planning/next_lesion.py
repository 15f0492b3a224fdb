"""Where should the next lesion go, given the first placement?

The first lesion is a :class:`~rhizo.planning.placement.CannulaPlacement`
(angle, offset across the nerve, position along it). A second lesion with the
same setting and angle is tried at every position of a grid across the nerve
(``y2 = offset + delta_across``; negative deltas move towards and past the
nerve) and along it (``along2 = along + delta_along``). For each, the Monte
Carlo of :mod:`rhizo.planning.montecarlo` is run on the pair: a nerve point is
inside when its whole cross-section fits in either lesion (the largest margin,
:func:`rhizo.planning.capture.margins_m`), and the captured length is the
longest such stretch.

Placement error between the two lesions is either

- ``shared``: the second is placed relative to the first (the same error draw
  moves both; the planner's default for ``lesion_count`` > 1), or
- ``independent``: each pass has its own error draw (a fresh fluoroscopic
  placement); the patient's anatomy (nerve shift, turn, diameter) is the same
  for both in either case.

The answer is the marginal gain over the first lesion alone, in capture
probability and in expected coagulated length (mean captured length, mm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rhizo.planning.anatomy import Nerve
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM, longest_inside_run_m, margins_m
from rhizo.planning.lesions import LESION_RADIUS_CV, LesionProfile, radius_scales
from rhizo.planning.montecarlo import CHUNK
from rhizo.planning.placement import CannulaPlacement, PlacementError, Poses, sample_poses
from rhizo.stats import wilson_interval

ErrorMode = Literal["shared", "independent"]
ERROR_MODES: tuple[str, ...] = ("shared", "independent")
#: Default search grid (mm) relative to the first lesion.
DEFAULT_ACROSS_MM: tuple[float, ...] = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)
DEFAULT_ALONG_MM: tuple[float, ...] = (-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0)
SPACING_MM = 0.2


class _IndependentPlacement(np.random.Generator):
    """A generator whose placement-error normals come from a second stream.

    :func:`rhizo.planning.placement.sample_poses` draws ``standard_normal((7, n))``:
    rows 0-4 are placement error (angle, yaw, along, across, height), rows 5-6 and
    the following ``uniform`` the anatomy. This stream returns the anatomy of
    ``anatomy_seed`` (the same as the first lesion's) with rows 0-4 replaced by
    independent draws (tests/planning/test_recommend_next.py checks the layout).
    """

    def __init__(self, anatomy_seed: np.random.SeedSequence, error_seed: np.random.SeedSequence):
        super().__init__(np.random.PCG64(anatomy_seed))
        self._errors = np.random.default_rng(error_seed)

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        normal = super().standard_normal(size)
        normal[:5] = self._errors.standard_normal(normal[:5].shape)
        return normal


@dataclass(frozen=True)
class LesionPairEstimate:
    """The pair's capture probability and expected coagulated length, and the gain."""

    delta_across_mm: float
    delta_along_mm: float
    capture_probability: float
    ci95: tuple[float, float]
    mean_captured_length_mm: float
    gain_probability: float
    gain_length_mm: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "delta_across_mm": self.delta_across_mm,
            "delta_along_mm": self.delta_along_mm,
            "capture_probability": self.capture_probability,
            "ci95": list(self.ci95),
            "mean_captured_length_mm": round(self.mean_captured_length_mm, 3),
            "gain_probability": round(self.gain_probability, 6),
            "gain_length_mm": round(self.gain_length_mm, 3),
        }


@dataclass(frozen=True)
class NextLesionAnswer:
    """The first lesion alone, every second position tried (best first), and the mode."""

    nerve: str
    error_mode: str
    first_probability: float
    first_ci95: tuple[float, float]
    first_mean_captured_length_mm: float
    options: tuple[LesionPairEstimate, ...]
    samples: int
    min_length_mm: float

    @property
    def best(self) -> LesionPairEstimate:
        """The position with the highest probability, then the longest coagulated length."""
        return self.options[0]

    def to_dict(self, *, top: int | None = None) -> dict[str, object]:
        """JSON-ready form (``top`` options)."""
        return {
            "nerve": self.nerve,
            "error_mode": self.error_mode,
            "first": {
                "capture_probability": self.first_probability,
                "ci95": list(self.first_ci95),
                "mean_captured_length_mm": round(self.first_mean_captured_length_mm, 3),
            },
            "best": self.best.to_dict(),
            "options": [option.to_dict() for option in self.options[:top]],
            "samples": self.samples,
            "min_captured_length_mm": self.min_length_mm,
        }


def second_placement(
    first: CannulaPlacement, across_mm: float, along_mm: float
) -> tuple[CannulaPlacement, int]:
    """A placement whose lesion ``index`` is the second lesion at ``(y2, along2)``.

    ``CannulaPlacement.offset_mm`` is >= 0, so a second lesion nearer the nerve
    than the first (``y2 < offset``) is lesion 1 of a two-lesion placement
    spaced ``offset - y2`` towards -y (:func:`~rhizo.planning.placement.sample_poses`).
    """
    y2 = first.offset_mm + across_mm
    along = first.along_nerve_mm + along_mm
    if y2 >= first.offset_mm:
        return first.model_copy(
            update={"offset_mm": y2, "along_nerve_mm": along, "lesion_count": 1}
        ), 0
    placement = CannulaPlacement(
        angle_deg=first.angle_deg,
        offset_mm=first.offset_mm,
        height_mm=first.height_mm,
        along_nerve_mm=along,
        lesion_count=2,
        lesion_spacing_mm=first.offset_mm - y2,
    )
    return placement, 1


def _representable(first: CannulaPlacement, across_mm: float, along_mm: float) -> bool:
    """Whether the second position fits CannulaPlacement's bounds (offset <= 20 mm,
    spacing <= 10 mm, |along| <= 20 mm); positions outside are skipped."""
    y2 = first.offset_mm + across_mm
    return (
        y2 <= 20.0 and first.offset_mm - y2 <= 10.0 and abs(first.along_nerve_mm + along_mm) <= 20.0
    )


def _poses(
    placement: CannulaPlacement,
    nerve: Nerve,
    tip_mm: float,
    cannula_mm: float,
    errors: PlacementError,
    count: int,
    rng: np.random.Generator,
    index: int | None = None,
) -> Poses:
    poses = sample_poses(
        placement,
        nerve,
        tip_length_mm=tip_mm,
        errors=errors,
        samples=count,
        rng=rng,
        cannula_radius_mm=cannula_mm,
    )
    if index is None:
        return poses
    return Poses(poses.tips[index : index + 1], poses.directions, poses.nerve_radius_m)


def next_lesion(
    profile: LesionProfile,
    nerve: Nerve,
    first: CannulaPlacement,
    *,
    across_mm: Sequence[float] = DEFAULT_ACROSS_MM,
    along_mm: Sequence[float] = DEFAULT_ALONG_MM,
    error_mode: ErrorMode = "shared",
    errors: PlacementError | None = None,
    samples: int = 2000,
    seed: int = 0,
    min_length_mm: float = MIN_CAPTURED_LENGTH_MM,
    radius_cv: float = LESION_RADIUS_CV,
) -> NextLesionAnswer:
    """Try a second lesion at every grid position; the gains over the first lesion alone.

    ``first`` must hold a single lesion; ``radius_cv`` is the lesion-size spread
    (:data:`rhizo.planning.lesions.LESION_RADIUS_CV`; one factor per sample for both
    passes). Options are sorted by the pair's capture
    probability, then its mean captured length (higher first).
    """
    if first.lesion_count != 1:
        raise ValueError("next_lesion: the first placement must be one lesion (lesion_count=1)")
    if error_mode not in ERROR_MODES:
        raise ValueError(f"next_lesion: error_mode {error_mode!r}; allowed: shared, independent")
    error_model = errors or PlacementError()
    tip_mm = profile.tip_length_m * 1e3
    cannula_mm = profile.cannula_radius_m * 1e3
    centreline = nerve.centreline_m(SPACING_MM)
    spacing_m = SPACING_MM * 1e-3
    grid = [(dy, dx) for dy in across_mm for dx in along_mm if _representable(first, dy, dx)]
    if not grid:
        raise ValueError("next_lesion: no second position inside the placement bounds")
    seconds = [second_placement(first, dy, dx) for dy, dx in grid]
    chunks = [(start, min(CHUNK, samples - start)) for start in range(0, samples, CHUNK)]
    children = np.random.SeedSequence(seed).spawn(3 * len(chunks))
    first_lengths = np.empty(samples)
    pair_lengths = np.empty((len(grid), samples))
    for number, (start, count) in enumerate(chunks):
        anatomy_seed, error_seed, size_seed = children[3 * number : 3 * number + 3]
        poses = _poses(
            first,
            nerve,
            tip_mm,
            cannula_mm,
            error_model,
            count,
            np.random.default_rng(anatomy_seed),
        )
        # one lesion-size factor per sample, shared by both passes (the same tissue)
        scale = (
            radius_scales(radius_cv, count, np.random.default_rng(size_seed))
            if radius_cv > 0
            else None
        )
        margin = margins_m(
            profile, centreline, poses.tips, poses.directions, poses.nerve_radius_m, scale
        )
        first_lengths[start : start + count] = longest_inside_run_m(margin, spacing_m)
        for row, (placement, index) in enumerate(seconds):
            rng: np.random.Generator = (
                np.random.default_rng(anatomy_seed)
                if error_mode == "shared"
                else _IndependentPlacement(anatomy_seed, error_seed)
            )
            other = _poses(placement, nerve, tip_mm, cannula_mm, error_model, count, rng, index)
            pair = np.maximum(
                margin,
                margins_m(
                    profile,
                    centreline,
                    other.tips,
                    other.directions,
                    other.nerve_radius_m,
                    scale,
                ),
            )
            pair_lengths[row, start : start + count] = longest_inside_run_m(pair, spacing_m)
    first_lengths *= 1e3
    pair_lengths *= 1e3
    first_hits = int(np.count_nonzero(first_lengths >= min_length_mm))
    first_probability = first_hits / samples
    first_mean = float(first_lengths.mean())
    options = []
    for row, (dy, dx) in enumerate(grid):
        hits = int(np.count_nonzero(pair_lengths[row] >= min_length_mm))
        mean = float(pair_lengths[row].mean())
        options.append(
            LesionPairEstimate(
                delta_across_mm=dy,
                delta_along_mm=dx,
                capture_probability=hits / samples,
                ci95=wilson_interval(hits, samples),
                mean_captured_length_mm=mean,
                gain_probability=hits / samples - first_probability,
                gain_length_mm=mean - first_mean,
            )
        )
    options.sort(
        key=lambda o: (
            -o.capture_probability,
            -o.mean_captured_length_mm,
            abs(o.delta_across_mm) + abs(o.delta_along_mm),
        )
    )
    return NextLesionAnswer(
        nerve=nerve.name,
        error_mode=error_mode,
        first_probability=first_probability,
        first_ci95=wilson_interval(first_hits, samples),
        first_mean_captured_length_mm=first_mean,
        options=tuple(options),
        samples=samples,
        min_length_mm=min_length_mm,
    )
