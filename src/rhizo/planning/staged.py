"""A pose set evaluated a prefix at a time: the adaptive screen's common samples.

:func:`rhizo.planning.pose_set.draw_pose_set` draws all ``samples`` poses at
once. :class:`StagedPoseSet` draws the same random numbers in the same order
(:data:`~rhizo.planning.pose_set.CHUNK`-sample batches: the batch's pose numbers,
then its lesion-size factors) but turns them into poses -- the tip-depth contact
test included -- only for the rows asked for, in *segments* ``[start, stop)``.
Every step after the draw is elementwise per row (each pose's own nerve points,
:mod:`rhizo.planning.nearby`), so the first ``n`` rows' poses, and so their
captured lengths, equal the first ``n`` rows of the whole set's: a candidate
screened on the first 125 samples and continued to 1 000 ends with exactly the
numbers of a 1 000-sample evaluation on the same seed (tests/planning/test_staged.py).

The adaptive screen (:func:`rhizo.planning.recommend.rank_candidates`) asks for
the prefixes of one schedule (e.g. 125, 250, 500, 1 000), the same for every
candidate, so segments line up; each segment's cannula-frame geometry is computed
once and shared by the candidates that differ only in temperature or time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.anatomy import Nerve
from rhizo.planning.capture import PoseGeometry, captured_lengths_m, pose_geometry
from rhizo.planning.lesions import LesionProfile, radius_scales
from rhizo.planning.placement import (
    CannulaPlacement,
    PlacementError,
    PoseNumbers,
    Poses,
    draw_pose_numbers,
    planned_pose,
    poses_from_numbers,
)
from rhizo.planning.pose_set import CHUNK

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Segment:
    """Rows ``[start, stop)`` of a staged set: their poses and lesion-size factors."""

    start: int
    stop: int
    poses: Poses
    scale: FloatArray | None


@dataclass
class StagedPoseSet:
    """One placement's pose numbers for ``samples`` rows; poses made on demand."""

    placement: CannulaPlacement
    nerve: Nerve
    tip_length_mm: float
    cannula_radius_mm: float
    errors: PlacementError
    samples: int
    seed: int | None
    radius_cv: float
    planned: Poses
    #: Per batch: (first row, its pose numbers, its size factors or None).
    _batches: list[tuple[int, PoseNumbers, FloatArray | None]]
    _segments: list[Segment] = field(default_factory=list)
    _geometry: dict[tuple[float, int], PoseGeometry] = field(default_factory=dict)
    _centreline: dict[float, FloatArray] = field(default_factory=dict)

    @property
    def done(self) -> int:
        """Rows turned into poses so far."""
        return self._segments[-1].stop if self._segments else 0

    def segments(self, stop: int) -> list[Segment]:
        """The segments covering rows ``[0, stop)``, making poses for new rows first.

        ``stop`` must be a segment boundary already made or beyond the rows made
        (ValueError otherwise: the prefixes of one schedule line up)."""
        if not 1 <= stop <= self.samples:
            raise ValueError(f"stop {stop!r}: allowed 1 to {self.samples}")
        while self.done < stop:
            self._segments.extend(self._make(self.done, stop))
        ends = [segment.stop for segment in self._segments]
        if stop not in ends:
            raise ValueError(f"stop {stop!r}: not a segment boundary (boundaries {ends})")
        return self._segments[: ends.index(stop) + 1]

    def _make(self, start: int, stop: int) -> list[Segment]:
        """Poses for rows ``[start, stop)``, split at batch boundaries."""
        made = []
        for first, numbers, scale in self._batches:
            low, high = max(start, first), min(stop, first + numbers.count)
            if low >= high:
                continue
            rows = slice(low - first, high - first)
            poses = poses_from_numbers(
                self.placement,
                self.nerve,
                numbers.rows(rows),
                tip_length_mm=self.tip_length_mm,
                errors=self.errors,
                cannula_radius_mm=self.cannula_radius_mm,
            )
            made.append(Segment(low, high, poses, None if scale is None else scale[rows]))
        return made

    def geometry(
        self, segment: Segment, centreline_m: FloatArray, spacing_mm: float
    ) -> PoseGeometry:
        """The segment's :func:`rhizo.planning.capture.pose_geometry`, computed once."""
        key = (spacing_mm, segment.start)
        found = self._geometry.get(key)
        if found is None:
            found = pose_geometry(centreline_m, segment.poses.tips, segment.poses.directions)
            self._geometry[key] = found
        return found

    def centreline_m(self, spacing_mm: float) -> FloatArray:
        """The nerve's centreline at ``spacing_mm`` (m, 3), computed once per spacing."""
        found = self._centreline.get(spacing_mm)
        if found is None:
            found = self.nerve.centreline_m(spacing_mm)
            self._centreline[spacing_mm] = found
        return found

    def poses(self, stop: int) -> Poses:
        """The poses of rows ``[0, stop)`` as one :class:`Poses` (for the safety check)."""
        parts = [segment.poses for segment in self.segments(stop)]
        if len(parts) == 1:
            return parts[0]
        return Poses(
            tips=np.concatenate([p.tips for p in parts], axis=1),
            directions=np.concatenate([p.directions for p in parts]),
            nerve_radius_m=np.concatenate([p.nerve_radius_m for p in parts]),
        )


def draw_staged_pose_set(
    placement: CannulaPlacement,
    nerve: Nerve,
    *,
    tip_length_mm: float,
    cannula_radius_mm: float,
    errors: PlacementError,
    samples: int,
    seed: int | None,
    radius_cv: float,
) -> StagedPoseSet:
    """Draw the numbers :func:`rhizo.planning.pose_set.draw_pose_set` draws with ``seed``."""
    if samples < 1:
        raise ValueError(f"samples {samples!r}: allowed an integer >= 1")
    rng = np.random.default_rng(seed)
    batches: list[tuple[int, PoseNumbers, FloatArray | None]] = []
    for first in range(0, samples, CHUNK):
        count = min(CHUNK, samples - first)
        numbers = draw_pose_numbers(nerve, samples=count, rng=rng)
        scale = radius_scales(radius_cv, count, rng) if radius_cv > 0 else None
        batches.append((first, numbers, scale))
    return StagedPoseSet(
        placement=placement,
        nerve=nerve,
        tip_length_mm=tip_length_mm,
        cannula_radius_mm=cannula_radius_mm,
        errors=errors,
        samples=samples,
        seed=seed,
        radius_cv=radius_cv,
        planned=planned_pose(
            placement, nerve, tip_length_mm=tip_length_mm, cannula_radius_mm=cannula_radius_mm
        ),
        _batches=batches,
    )


@dataclass
class StagedLengths:
    """One lesion's captured lengths (mm) on a staged set, extended stage by stage."""

    profile: LesionProfile
    pose_set: StagedPoseSet
    spacing_mm: float
    _parts: list[FloatArray] = field(default_factory=list)
    _done: int = 0

    def up_to(self, stop: int) -> FloatArray:
        """The captured lengths (mm) of rows ``[0, stop)``; rows done before are kept."""
        extend_together([self], stop)
        return np.concatenate(self._parts)[:stop]


def extend_together(group: Sequence[StagedLengths], stop: int) -> None:
    """Compute the lengths of rows up to ``stop`` for every member of ``group``.

    Members on the same pose set, spacing and rows done go through
    :func:`rhizo.planning.capture.captured_lengths_m` together (the same numbers
    as one at a time: each profile's lengths do not depend on the others)."""
    batches: dict[tuple[int, float, int], list[StagedLengths]] = {}
    for member in group:
        key = (id(member.pose_set), member.spacing_mm, member._done)
        batches.setdefault(key, []).append(member)
    for members in batches.values():
        first = members[0]
        pose_set, spacing = first.pose_set, first.spacing_mm
        centreline = pose_set.centreline_m(spacing)
        for segment in pose_set.segments(stop):
            if segment.stop <= first._done:
                continue
            if segment.start < first._done:
                raise ValueError(f"segment {segment.start}-{segment.stop} splits done rows")
            lengths = captured_lengths_m(
                [member.profile for member in members],
                centreline,
                segment.poses.tips,
                segment.poses.directions,
                segment.poses.nerve_radius_m,
                segment.scale,
                geometry=pose_set.geometry(segment, centreline, spacing),
            )
            for member, row in zip(members, lengths, strict=True):
                member._parts.append(row * 1e3)
                member._done = segment.stop
