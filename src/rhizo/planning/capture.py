"""Captured length: how much of the nerve lies wholly inside the lesion.

For a nerve point P and a cannula with distal end T and unit direction u (nerve
frame, metres), the point's cannula-frame coordinates are

    z = (P - T) . u                  along the cannula (distal positive)
    r = sqrt(|P - T|^2 - z^2)        distance from the cannula axis.

The nerve's cross-section there is a disc of radius ``a``. The conservative
check used throughout: the whole disc is inside the lesion if

    margin = R(z) - r - a >= 0,

i.e. the disc fits inside the lesion's cross-section at the height of its
centre. (It ignores that a tilted disc spans a small range of z; where R falls
off quickly with z it can be slightly optimistic at the lesion's ends.) With
several lesions the margin is the largest of theirs (a disc inside any one
lesion is inside their union; a disc that straddles two is not counted, which
is conservative).

The captured (coagulated) length is the longest contiguous stretch of nerve with
margin >= 0 -- its whole cross-section coagulated -- integrated exactly for a
margin linear between the centreline points.

Capture criterion: the nerve is captured when that length reaches
``min_length_mm``, default :data:`MIN_CAPTURED_LENGTH_MM` = 3 mm, from the
physiology of conduction block (source ``block_length``, read-secondary with
recalled numbers): block needs about three consecutive nodes of Ranvier, and a
stretch of length L holds at least floor(L / l) nodes wherever they fall, so
three internodes of the longest small-myelinated (A-delta) internode, l = 1 mm,
guarantee it. Both criteria -- length AND whole cross-section -- are needed:
a partly coagulated cross-section counts for nothing however long.

Per-sample lesion size: ``radius_scale`` (n,) multiplies R(z) in each sample
(:func:`rhizo.planning.lesions.radius_scales`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.lesions import LesionProfile
from rhizo.planning.nearby import (
    BLOCK_ELEMENTS,
    MIN_BLOCK_ROWS,
    RowPoints,
    Windows,
    nearby_windows,
)

FloatArray = NDArray[np.float64]

#: A-delta internode (longest, mm) and nodes to block: SOURCES["block_length"].
A_DELTA_INTERNODE_MM = 1.0
NODES_FOR_BLOCK = 3
#: Default minimum coagulated length (mm): three internodes of the longest A-delta one.
MIN_CAPTURED_LENGTH_MM = NODES_FOR_BLOCK * A_DELTA_INTERNODE_MM


def margins_m(
    profile: LesionProfile,
    centreline_m: FloatArray,
    tips_m: FloatArray,
    directions: FloatArray,
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
) -> FloatArray:
    """``s R(z) - r - a`` (metres) at every centreline point for every pose, shape (n, m).

    ``centreline_m`` (m, 3); ``tips_m`` (lesions, n, 3); ``directions`` (n, 3);
    ``nerve_radius_m`` (n,); ``radius_scale`` (n,) the lesion-size factor s
    (default 1). The largest margin over the lesions is returned.
    """
    shape = (directions.shape[0], centreline_m.shape[0])
    x, y, z = (np.broadcast_to(centreline_m[:, k], shape) for k in range(3))
    return row_margins_m(profile, (x, y, z), tips_m, directions, nerve_radius_m, radius_scale)


def cannula_frame_m(
    points_m: RowPoints, tips: FloatArray, directions: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Each point's cannula-frame coordinates (metres): ``z = d . u`` and
    ``r = sqrt(|d|^2 - z^2)`` with ``d = P - T``, for one lesion's tips ``tips``
    (n, 3) and directions (n, 3); points (x, y, z), each (n, W). Elementwise, so a
    point's numbers do not depend on which other points are evaluated with it.
    """
    ux, uy, uz = (directions[:, k, None] for k in range(3))
    px, py, pz = points_m
    # The nerve's axis lies in its bone plane, z = 0 (anatomy.Nerve.centreline_m):
    # then dz is one number per pose, not one per point.
    flat = not bool(np.any(pz))
    dx = px - tips[:, None, 0]
    dy = py - tips[:, None, 1]
    dz = -tips[:, None, 2] if flat else pz - tips[:, None, 2]
    z = dx * ux + dy * uy + dz * uz
    r = np.sqrt(np.maximum(dx * dx + dy * dy + dz * dz - z * z, 0.0))
    return z, r


def frame_margins_m(
    profile: LesionProfile,
    frames: Sequence[tuple[FloatArray, FloatArray]],
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
) -> FloatArray:
    """``max over lesions of s R(z) - r - a`` (metres) from each lesion's (z, r) (n, W)."""
    best = np.full(frames[0][0].shape, -np.inf)
    for z, r in frames:
        radius = profile.radius_at(z)
        if radius_scale is not None:
            radius = radius * radius_scale[:, None]
        np.maximum(best, radius - r - nerve_radius_m[:, None], out=best)
    return best


def row_margins_m(
    profile: LesionProfile,
    points_m: RowPoints,
    tips_m: FloatArray,
    directions: FloatArray,
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
) -> FloatArray:
    """:func:`margins_m` with each pose's own nerve points ``points_m`` (x, y, z, each
    (n, W)): shape (n, W).

    All poses at once (NumPy, no per-pose loop): :func:`cannula_frame_m` per lesion,
    then :func:`frame_margins_m`.
    """
    frames = [cannula_frame_m(points_m, tips, directions) for tips in tips_m]
    if not frames:
        return np.full(points_m[0].shape, -np.inf)
    return frame_margins_m(profile, frames, nerve_radius_m, radius_scale)


@dataclass(frozen=True)
class PoseGeometry:
    """Every centreline point's cannula-frame ``z`` and ``r`` (metres) for every pose,
    one (n, m) array each per lesion: ``z_m``, ``r_m`` of shape (lesions, n, m).

    They depend on the poses and the nerve, not on the lesion's temperature or
    time, so candidates evaluated on one pose set share them
    (:meth:`rhizo.planning.pose_set.PoseSet.geometry`); the numbers are the ones
    :func:`row_margins_m` computes (:func:`cannula_frame_m`, elementwise).
    """

    z_m: FloatArray
    r_m: FloatArray

    def window(self, rows: slice, index: NDArray[np.intp]) -> list[tuple[FloatArray, FloatArray]]:
        """Each lesion's (z, r) at the points ``index`` (rows, W) of ``rows``."""
        full = index.shape[1] == self.z_m.shape[2]
        frames = []
        for z, r in zip(self.z_m, self.r_m, strict=True):
            if full:
                frames.append((z[rows], r[rows]))
            else:
                frames.append(
                    (
                        np.take_along_axis(z[rows], index, axis=1),
                        np.take_along_axis(r[rows], index, axis=1),
                    )
                )
        return frames


def pose_geometry(
    centreline_m: FloatArray, tips_m: FloatArray, directions: FloatArray
) -> PoseGeometry:
    """:class:`PoseGeometry` of ``tips_m`` (lesions, n, 3), ``directions`` (n, 3) on the
    whole centreline (m, 3), computed in blocks of :data:`rhizo.planning.nearby.BLOCK_ELEMENTS`."""
    lesions, count = tips_m.shape[0], directions.shape[0]
    points = centreline_m.shape[0]
    z_all = np.empty((lesions, count, points))
    r_all = np.empty((lesions, count, points))
    block = max(MIN_BLOCK_ROWS, BLOCK_ELEMENTS // max(points, 1))
    for start in range(0, count, block):
        rows = slice(start, min(start + block, count))
        n = rows.stop - rows.start
        row_points = cast(
            RowPoints, tuple(np.broadcast_to(centreline_m[:, k], (n, points)) for k in range(3))
        )
        for lesion, tips in enumerate(tips_m):
            z_all[lesion, rows], r_all[lesion, rows] = cannula_frame_m(
                row_points, tips[rows], directions[rows]
            )
    return PoseGeometry(z_all, r_all)


def longest_inside_run_m(margin: FloatArray, spacing_m: float) -> FloatArray:
    """Longest contiguous length (m) with margin >= 0 along each row of ``margin`` (n, m).

    Points are ``spacing_m`` apart along the nerve; between points the margin is
    taken as linear, so partly-inside segments contribute the exact fraction
    ``m_in / |m_left - m_right|``.
    """
    rows = margin.shape[0]
    inside = margin >= 0.0
    # Columns before the first and after the last inside point of any row, less one
    # each side, add exactly 0 to every running sum and end no run: dropping them
    # leaves every length bit-identical and shortens the arithmetic below.
    reached = np.flatnonzero(inside.any(axis=0))
    if reached.size == 0:
        return np.zeros(rows)
    low, high = max(int(reached[0]) - 1, 0), min(int(reached[-1]) + 2, margin.shape[1])
    if high - low < margin.shape[1]:
        margin, inside = margin[:, low:high], inside[:, low:high]
    left, right = margin[:, :-1], margin[:, 1:]
    left_in, right_in = inside[:, :-1], inside[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(left_in, left, right) / np.abs(left - right)
    fraction = np.where(left_in & right_in, 1.0, np.where(left_in ^ right_in, part, 0.0))
    cumulative = np.zeros(margin.shape)
    np.cumsum(fraction * spacing_m, axis=1, out=cumulative[:, 1:])
    # Runs restart at every outside point; a run ending at point k started after the
    # last outside point before k.
    start = np.maximum.accumulate(np.where(inside, 0.0, cumulative), axis=1)
    if margin.shape[1] < 2:
        return np.zeros(rows)
    longest = np.max(cumulative[:, 1:] - start[:, :-1], axis=1)
    return np.asarray(np.maximum(longest, 0.0), dtype=np.float64)


def lesion_z_extent_m(profile: LesionProfile) -> tuple[float, float]:
    """The z-range (m) outside which R(z) = 0: the rows beside the first and last R > 0."""
    positive = np.flatnonzero(profile.radius_m > 0.0)
    if positive.size == 0:
        return 0.0, 0.0
    last = profile.z_m.shape[0] - 1
    near = float(profile.z_m[max(int(positive[0]) - 1, 0)])
    far = float(profile.z_m[min(int(positive[-1]) + 1, last)])
    return min(near, far), max(near, far)


def captured_length_m(
    profile: LesionProfile,
    centreline_m: FloatArray,
    tips_m: FloatArray,
    directions: FloatArray,
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
    *,
    geometry: PoseGeometry | None = None,
) -> FloatArray:
    """Captured length (m) for each pose: longest stretch of whole nerve inside the lesion.

    Only the nerve points the lesion can reach are evaluated. A point inside the
    lesion has ``z`` in ``[z_0, z_1]`` (:func:`lesion_z_extent_m`; R = 0 outside)
    and ``r <= s max(R)``, so it is ``Q = T + z u + w`` with ``w . u = 0`` and
    ``|w| <= s max(R)``; the x-component of such a ``w`` is at most
    ``s max(R) sqrt(1 - u_x^2)``. A point whose x lies farther than that (plus one
    point spacing, for rounding) from the axis segment's x-range ``T_x + z u_x``,
    ``z`` in ``[z_0, z_1]``, therefore has margin < 0, and so do the window's two
    end points (:func:`rhizo.planning.nearby.nearby_windows`). (A cannula parallel
    to the nerve, ``u_x`` near 1, so reaches only a little beyond its lesion's
    ends; the bound ``s max(R)`` alone, used before, kept about ``2 s max(R)`` more
    nerve per pose.)
    Outside points add nothing to a run, so the length equals the whole-nerve
    computation (:func:`margins_m` then :func:`longest_inside_run_m`). Poses go
    through in blocks (rows are independent; :meth:`rhizo.planning.nearby.Windows.block_rows`).

    ``geometry`` (:func:`pose_geometry` of these tips and directions on this
    centreline) supplies every point's z and r instead of computing them: the
    same numbers, so the same lengths.
    """
    lengths = captured_lengths_m(
        [profile],
        centreline_m,
        tips_m,
        directions,
        nerve_radius_m,
        radius_scale,
        geometry=geometry,
    )
    return np.asarray(lengths[0], dtype=np.float64)


def _reach_bounds_m(
    profile: LesionProfile,
    tips_m: FloatArray,
    directions: FloatArray,
    scale: FloatArray,
    spacing: float,
) -> tuple[FloatArray, FloatArray]:
    """Per pose, the x-range outside which no nerve point is inside the lesion (see
    :func:`captured_length_m`)."""
    count = directions.shape[0]
    across = np.sqrt(np.maximum(1.0 - directions[:, 0] * directions[:, 0], 0.0))
    reach = float(np.max(profile.radius_m)) * scale * across + spacing
    z_near, z_far = lesion_z_extent_m(profile)
    low = np.full(count, np.inf)
    high = np.full(count, -np.inf)
    for tips in tips_m:
        x_near = tips[:, 0] + z_near * directions[:, 0]
        x_far = tips[:, 0] + z_far * directions[:, 0]
        low = np.minimum(low, np.minimum(x_near, x_far) - reach)
        high = np.maximum(high, np.maximum(x_near, x_far) + reach)
    return low, high


def captured_lengths_m(
    profiles: Sequence[LesionProfile],
    centreline_m: FloatArray,
    tips_m: FloatArray,
    directions: FloatArray,
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
    *,
    geometry: PoseGeometry | None = None,
) -> FloatArray:
    """:func:`captured_length_m` of several lesion profiles on the same poses, shape
    (profiles, n): one window per pose covering every profile's reach (points
    outside a profile's own reach have margin < 0 and add nothing, so each length
    equals the single-profile one), the nerve points' z and r looked up once per
    block, and the longest runs of all profiles computed in one stacked array (rows
    are independent)."""
    spacing = float(np.linalg.norm(centreline_m[1] - centreline_m[0]))
    count = directions.shape[0]
    scale = np.ones(count) if radius_scale is None else radius_scale
    low = np.full(count, np.inf)
    high = np.full(count, -np.inf)
    for profile in profiles:
        p_low, p_high = _reach_bounds_m(profile, tips_m, directions, scale, spacing)
        low, high = np.minimum(low, p_low), np.maximum(high, p_high)
    lengths = np.empty((len(profiles), count))
    windows = nearby_windows(centreline_m, low, high)
    # The stacked margins of all profiles hold about BLOCK_ELEMENTS numbers per block.
    block = max(MIN_BLOCK_ROWS, windows.block_rows() // max(len(profiles), 1))
    for start in range(0, count, block):
        rows = slice(start, start + block)
        scale_rows = None if radius_scale is None else radius_scale[rows]
        if geometry is None:
            points = windows.points(rows)
            frames = [cannula_frame_m(points, tips[rows], directions[rows]) for tips in tips_m]
        else:
            frames = geometry.window(rows, windows.index(rows))
        margins = [
            frame_margins_m(profile, frames, nerve_radius_m[rows], scale_rows)
            if frames
            else np.full(frames_shape(windows, rows, count), -np.inf)
            for profile in profiles
        ]
        stacked = margins[0] if len(margins) == 1 else np.concatenate(margins, axis=0)
        found = longest_inside_run_m(stacked, spacing).reshape(len(profiles), -1)
        lengths[:, rows] = found
    return lengths


def frames_shape(windows: Windows, rows: slice, count: int) -> tuple[int, int]:
    """(rows in the block, window width): the shape of a block's margin array."""
    first, last, _ = rows.indices(count)
    return last - first, windows.width
