"""One draw of placement poses, shared by every lesion evaluated on it.

The poses of a Monte Carlo run (:func:`rhizo.planning.placement.sample_poses`:
placement error, anatomical variation, and the tip-depth contact test of
:mod:`rhizo.planning.tipdepth`) depend on the placement, the nerve, the active
tip's length and the cannula's radius, the error model, the sample count and the
seed -- not on the lesion's temperature or time. Neither does the per-sample
lesion-size factor (:func:`rhizo.planning.lesions.radius_scales`: a log-normal
multiplier, drawn from the same stream after each batch's poses).

:func:`draw_pose_set` draws them once, in exactly the order
:func:`rhizo.planning.montecarlo.estimate_capture` draws them itself (batches of
:data:`CHUNK`: poses, then that batch's size factors), so an estimate computed on
a shared :class:`PoseSet` equals the estimate computed with the same seed
without one. Sharing it between candidate lesions is the method of common random
numbers (e.g. Law 2015, Simulation Modeling and Analysis, 5th ed., section 11.2
[recalled]): each candidate meets the same placements, so the differences
between candidates are not partly sampling noise of independent runs -- their
variance is lower -- and the contact test runs once per pose set instead of once
per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.anatomy import Nerve
from rhizo.planning.capture import PoseGeometry, pose_geometry
from rhizo.planning.lesions import LesionProfile, radius_scales
from rhizo.planning.placement import (
    CannulaPlacement,
    PlacementError,
    Poses,
    planned_pose,
    sample_poses,
)

FloatArray = NDArray[np.float64]

#: Samples per vectorised batch (bounds memory at ~ chunk x points floats).
CHUNK = 2048


@dataclass(frozen=True)
class PoseSet:
    """The planned pose and the sampled poses (in batches) of one placement and seed."""

    placement: CannulaPlacement
    nerve: str
    tip_length_mm: float
    cannula_radius_mm: float
    errors: PlacementError
    samples: int
    seed: int | None
    radius_cv: float
    planned: Poses
    #: The batches' poses and lesion-size factors (None when ``radius_cv`` is 0).
    batches: tuple[tuple[Poses, FloatArray | None], ...]
    #: :meth:`geometry`'s answers by centreline spacing (filled on first use).
    _geometry: dict[float, tuple[PoseGeometry, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def geometry(self, centreline_m: FloatArray, spacing_mm: float) -> tuple[PoseGeometry, ...]:
        """Each batch's :func:`rhizo.planning.capture.pose_geometry` on ``centreline_m``
        (the nerve's centreline at ``spacing_mm``), computed once per spacing: the
        candidates evaluated on this set share it (the lesion changes, the nerve
        points' positions relative to the cannula do not)."""
        found = self._geometry.get(spacing_mm)
        if found is None:
            found = tuple(
                pose_geometry(centreline_m, poses.tips, poses.directions)
                for poses, _ in self.batches
            )
            self._geometry[spacing_mm] = found
        return found

    def check(self, profile: LesionProfile, nerve: Nerve, placement: CannulaPlacement) -> None:
        """Raise ValueError naming the field when this set was drawn for something else."""
        tip_mm = profile.tip_length_m * 1e3
        cannula_mm = profile.cannula_radius_m * 1e3
        if nerve.name != self.nerve:
            raise ValueError(f"poses: drawn for nerve {self.nerve!r}, not {nerve.name!r}")
        if placement != self.placement:
            raise ValueError(f"poses: drawn for placement {self.placement!r}, not {placement!r}")
        if abs(tip_mm - self.tip_length_mm) > 1e-9:
            raise ValueError(
                f"poses: drawn for a {self.tip_length_mm:g} mm tip, the lesion's is {tip_mm:g} mm"
            )
        if abs(cannula_mm - self.cannula_radius_mm) > 1e-9:
            raise ValueError(
                f"poses: drawn for cannula radius {self.cannula_radius_mm:g} mm, "
                f"the lesion's is {cannula_mm:g} mm"
            )

    def risk_poses(self) -> tuple[Poses, Poses] | None:
        """(planned, sampled) as :func:`rhizo.planning.safety.risk_poses` draws them with the
        same seed: one batch is the same stream (poses first); None for several batches."""
        if len(self.batches) != 1:
            return None
        return self.planned, self.batches[0][0]


def draw_batches(
    placement: CannulaPlacement,
    nerve: Nerve,
    *,
    tip_length_mm: float,
    cannula_radius_mm: float,
    errors: PlacementError,
    samples: int,
    rng: np.random.Generator,
    radius_cv: float,
) -> tuple[tuple[Poses, FloatArray | None], ...]:
    """Batches of :data:`CHUNK` poses, each followed by its size factors, from ``rng``."""
    batches: list[tuple[Poses, FloatArray | None]] = []
    for start in range(0, samples, CHUNK):
        count = min(CHUNK, samples - start)
        poses = sample_poses(
            placement,
            nerve,
            tip_length_mm=tip_length_mm,
            errors=errors,
            samples=count,
            rng=rng,
            cannula_radius_mm=cannula_radius_mm,
        )
        scale = radius_scales(radius_cv, count, rng) if radius_cv > 0 else None
        batches.append((poses, scale))
    return tuple(batches)


def draw_pose_set(
    placement: CannulaPlacement,
    nerve: Nerve,
    *,
    tip_length_mm: float,
    cannula_radius_mm: float,
    errors: PlacementError | None = None,
    samples: int,
    seed: int | None,
    radius_cv: float,
) -> PoseSet:
    """Draw the poses (and size factors) ``estimate_capture`` would draw with ``seed``."""
    if samples < 1:
        raise ValueError(f"samples {samples!r}: allowed an integer >= 1")
    error_model = errors or PlacementError()
    return PoseSet(
        placement=placement,
        nerve=nerve.name,
        tip_length_mm=tip_length_mm,
        cannula_radius_mm=cannula_radius_mm,
        errors=error_model,
        samples=samples,
        seed=seed,
        radius_cv=radius_cv,
        planned=planned_pose(
            placement, nerve, tip_length_mm=tip_length_mm, cannula_radius_mm=cannula_radius_mm
        ),
        batches=draw_batches(
            placement,
            nerve,
            tip_length_mm=tip_length_mm,
            cannula_radius_mm=cannula_radius_mm,
            errors=error_model,
            samples=samples,
            rng=np.random.default_rng(seed),
            radius_cv=radius_cv,
        ),
    )
