"""Capture probability by Monte Carlo over anatomy and placement error.

Each sample draws a pose (:func:`rhizo.planning.placement.sample_poses`) and
computes the captured length against ONE lesion profile (the lesion depends on
the cannula setting only, so it is simulated once). The nerve is captured when
the length reaches the minimum; the probability is the captured fraction with
a Wilson score 95 % interval (Wilson 1927, JASA 22:209-12), which stays inside
[0, 1] and behaves at 0 and N successes.

Each sample also draws the lesion's size: R(z) is scaled by a log-normal factor
of coefficient of variation ``radius_cv`` (default
:data:`rhizo.planning.lesions.LESION_RADIUS_CV`, Tew 2015). The expected
coagulated length (mean over samples) and its 5-95 % band are reported beside the
probability: the criterion is binary, the length is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.anatomy import Nerve
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM, PoseGeometry, captured_length_m
from rhizo.planning.lesions import LESION_RADIUS_CV, LesionProfile
from rhizo.planning.placement import CannulaPlacement, PlacementError, Poses, planned_pose
from rhizo.planning.pose_set import CHUNK, PoseSet, draw_batches, draw_pose_set
from rhizo.stats import wilson_interval

#: Points along the nerve (mm apart); the margin is integrated exactly between them.
CENTRELINE_SPACING_MM = 0.1

FloatArray = NDArray[np.float64]

__all__ = [
    "CENTRELINE_SPACING_MM",
    "CHUNK",
    "CaptureEstimate",
    "PoseSet",
    "draw_pose_set",
    "estimate_capture",
    "estimate_from_lengths",
    "lengths_on_batches_mm",
    "planned_captured_length_mm",
    "sample_captured_lengths_mm",
    "sweep",
]


@dataclass(frozen=True)
class CaptureEstimate:
    """Captured length at the plan and the capture probability under variability."""

    nerve: str
    planned_captured_length_mm: float
    mean_captured_length_mm: float
    capture_probability: float
    ci95: tuple[float, float]
    samples: int
    min_length_mm: float
    #: 5th and 95th percentiles of the coagulated length over the samples (mm).
    captured_length_band_mm: tuple[float, float] = (0.0, 0.0)
    #: The lesion's tissue, boundary and its definition (LesionProfile.describe()).
    lesion: tuple[tuple[str, str], ...] = ()
    radius_cv: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (mm, probability in [0, 1])."""
        return {
            "name": self.nerve,
            "captured_length_mm": round(self.planned_captured_length_mm, 3),
            "mean_captured_length_mm": round(self.mean_captured_length_mm, 3),
            "captured_length_band_mm": [round(v, 3) for v in self.captured_length_band_mm],
            "capture_probability": self.capture_probability,
            "ci95": [self.ci95[0], self.ci95[1]],
            "samples": self.samples,
            "min_captured_length_mm": self.min_length_mm,
            "lesion_radius_cv": self.radius_cv,
            **dict(self.lesion),
        }


def planned_captured_length_mm(
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    planned: Poses | None = None,
) -> float:
    """Captured length (mm) at the plan: no error, nominal anatomy.

    ``planned`` (:attr:`rhizo.planning.pose_set.PoseSet.planned`) skips drawing it.
    """
    pose = planned or planned_pose(
        placement,
        nerve,
        tip_length_mm=profile.tip_length_m * 1e3,
        cannula_radius_mm=profile.cannula_radius_m * 1e3,
    )
    centreline = nerve.centreline_m(CENTRELINE_SPACING_MM)
    length = captured_length_m(profile, centreline, pose.tips, pose.directions, pose.nerve_radius_m)
    return float(length[0]) * 1e3


def lengths_on_batches_mm(
    profile: LesionProfile,
    nerve: Nerve,
    batches: Sequence[tuple[Poses, FloatArray | None]],
    *,
    spacing_mm: float = CENTRELINE_SPACING_MM,
    pose_set: PoseSet | None = None,
) -> FloatArray:
    """Captured length (mm) of every pose of ``batches`` (poses, size factors) in order.

    ``pose_set`` (whose batches these are) supplies the points' cannula-frame
    geometry, computed once for every lesion evaluated on it
    (:meth:`rhizo.planning.pose_set.PoseSet.geometry`); the lengths are the same.
    """
    centreline = nerve.centreline_m(spacing_mm)
    geometry: Sequence[PoseGeometry | None] = (
        [None] * len(batches) if pose_set is None else pose_set.geometry(centreline, spacing_mm)
    )
    return (
        np.concatenate(
            [
                captured_length_m(
                    profile,
                    centreline,
                    poses.tips,
                    poses.directions,
                    poses.nerve_radius_m,
                    scale,
                    geometry=frame,
                )
                for (poses, scale), frame in zip(batches, geometry, strict=True)
            ]
        )
        * 1e3
    )


def sample_captured_lengths_mm(
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    errors: PlacementError,
    samples: int,
    rng: np.random.Generator,
    spacing_mm: float = CENTRELINE_SPACING_MM,
    radius_cv: float = 0.0,
) -> FloatArray:
    """Captured length (mm) of ``samples`` random poses, vectorised in batches.

    ``radius_cv`` > 0 scales the lesion per sample (drawn after each batch's poses).
    """
    batches = draw_batches(
        placement,
        nerve,
        tip_length_mm=profile.tip_length_m * 1e3,
        cannula_radius_mm=profile.cannula_radius_m * 1e3,
        errors=errors,
        samples=samples,
        rng=rng,
        radius_cv=radius_cv,
    )
    return lengths_on_batches_mm(profile, nerve, batches, spacing_mm=spacing_mm)


def estimate_capture(
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    errors: PlacementError | None = None,
    samples: int = 10_000,
    seed: int | None = 0,
    min_length_mm: float = MIN_CAPTURED_LENGTH_MM,
    spacing_mm: float = CENTRELINE_SPACING_MM,
    radius_cv: float = LESION_RADIUS_CV,
    poses: PoseSet | None = None,
) -> CaptureEstimate:
    """Captured length at the plan and P(captured length >= ``min_length_mm``).

    ``spacing_mm`` is the distance between centreline points; the margin is
    integrated exactly between them, so a coarser spacing (0.2 mm) only blurs
    steps in the lesion profile. ``radius_cv`` is the lesion-size spread (0: the
    profile as given in every sample).

    ``poses`` (:func:`rhizo.planning.pose_set.draw_pose_set`) evaluates the
    lesion on poses drawn beforehand, with the tip-depth contact test already
    done: the result equals the one drawn here with the same seed, and candidate
    lesions evaluated on the same set share their random numbers (common random
    numbers: the differences between candidates carry less sampling noise than
    with independent draws, :mod:`rhizo.planning.pose_set`). The set must have
    been drawn for this nerve, placement, tip and cannula, and for the same
    ``samples``, ``seed``, ``errors`` and ``radius_cv`` (ValueError otherwise).
    """
    if not (np.isfinite(min_length_mm) and min_length_mm > 0):
        raise ValueError(f"min_length_mm {min_length_mm!r}: allowed a finite length > 0 mm")
    error_model = errors or PlacementError()
    if poses is None:
        poses = draw_pose_set(
            placement,
            nerve,
            tip_length_mm=profile.tip_length_m * 1e3,
            cannula_radius_mm=profile.cannula_radius_m * 1e3,
            errors=error_model,
            samples=samples,
            seed=seed,
            radius_cv=radius_cv,
        )
    else:
        poses.check(profile, nerve, placement)
        drawn = (poses.samples, poses.seed, poses.errors, poses.radius_cv)
        if drawn != (samples, seed, error_model, radius_cv):
            raise ValueError(
                f"poses: drawn with samples, seed, errors, radius_cv = {drawn!r}, "
                f"not {(samples, seed, error_model, radius_cv)!r}"
            )
    lengths = lengths_on_batches_mm(
        profile, nerve, poses.batches, spacing_mm=spacing_mm, pose_set=poses
    )
    return estimate_from_lengths(
        profile,
        nerve,
        lengths,
        planned_length_mm=planned_captured_length_mm(
            profile, nerve, placement, planned=poses.planned
        ),
        min_length_mm=min_length_mm,
        radius_cv=radius_cv,
    )


def estimate_from_lengths(
    profile: LesionProfile,
    nerve: Nerve,
    lengths_mm: FloatArray,
    *,
    planned_length_mm: float,
    min_length_mm: float,
    radius_cv: float,
) -> CaptureEstimate:
    """The estimate from the samples' captured lengths (mm): the captured fraction
    (length >= ``min_length_mm``) with its Wilson interval, the mean length and its
    5-95 % band. The one definition used by :func:`estimate_capture` and the
    adaptive screen (:mod:`rhizo.planning.staged`)."""
    samples = int(lengths_mm.shape[0])
    captured = int(np.count_nonzero(lengths_mm >= min_length_mm))
    low, high = np.percentile(lengths_mm, [5.0, 95.0])
    return CaptureEstimate(
        nerve=nerve.name,
        planned_captured_length_mm=planned_length_mm,
        mean_captured_length_mm=float(lengths_mm.mean()),
        capture_probability=captured / samples,
        ci95=wilson_interval(captured, samples),
        samples=samples,
        min_length_mm=min_length_mm,
        captured_length_band_mm=(float(low), float(high)),
        lesion=tuple(profile.describe().items()),
        radius_cv=radius_cv,
    )


def sweep(
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    parameter: str,
    values: list[float],
    errors: PlacementError | None = None,
    samples: int = 2000,
    seed: int | None = 0,
    min_length_mm: float = MIN_CAPTURED_LENGTH_MM,
    radius_cv: float = LESION_RADIUS_CV,
) -> list[CaptureEstimate]:
    """Capture estimates with one placement field (``offset_mm``, ``angle_deg``...) varied."""
    return [
        estimate_capture(
            profile,
            nerve,
            placement.model_copy(update={parameter: value}),
            errors=errors,
            samples=samples,
            seed=seed,
            min_length_mm=min_length_mm,
            spacing_mm=0.2,
            radius_cv=radius_cv,
        )
        for value in values
    ]
