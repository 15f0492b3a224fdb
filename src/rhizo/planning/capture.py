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

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.lesions import LesionProfile

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
    points_sq = np.einsum("mk,mk->m", centreline_m, centreline_m)
    points_along = directions @ centreline_m.T  # (n, m): P . u
    best = np.full((directions.shape[0], centreline_m.shape[0]), -np.inf)
    for tips in tips_m:
        tip_along = np.einsum("nk,nk->n", tips, directions)  # T . u
        z = points_along - tip_along[:, None]
        distance_sq = (
            points_sq[None, :]
            - 2.0 * (tips @ centreline_m.T)
            + np.einsum("nk,nk->n", tips, tips)[:, None]
        )
        r = np.sqrt(np.clip(distance_sq - z * z, 0.0, None))
        radius = profile.radius_at(z)
        if radius_scale is not None:
            radius = radius * radius_scale[:, None]
        margin = radius - r - nerve_radius_m[:, None]
        best = np.maximum(best, margin)
    return best


def longest_inside_run_m(margin: FloatArray, spacing_m: float) -> FloatArray:
    """Longest contiguous length (m) with margin >= 0 along each row of ``margin`` (n, m).

    Points are ``spacing_m`` apart along the nerve; between points the margin is
    taken as linear, so partly-inside segments contribute the exact fraction.
    """
    left, right = margin[:, :-1], margin[:, 1:]
    left_in, right_in = left >= 0.0, right >= 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction_left = np.where(left_in & ~right_in, left / (left - right), 0.0)
        fraction_right = np.where(right_in & ~left_in, right / (right - left), 0.0)
    fraction = np.where(left_in & right_in, 1.0, fraction_left + fraction_right)
    inside = fraction * spacing_m
    cumulative = np.concatenate([np.zeros((margin.shape[0], 1)), np.cumsum(inside, axis=1)], 1)
    # Runs restart at every outside point; a run ending at point k started after the
    # last outside point before k.
    resets = np.where(margin < 0.0, cumulative, 0.0)
    start = np.maximum.accumulate(resets, axis=1)
    start_before = np.concatenate([np.zeros((margin.shape[0], 1)), start[:, :-1]], 1)
    return np.asarray(np.max(cumulative - start_before, axis=1), dtype=np.float64)


def captured_length_m(
    profile: LesionProfile,
    centreline_m: FloatArray,
    tips_m: FloatArray,
    directions: FloatArray,
    nerve_radius_m: FloatArray,
    radius_scale: FloatArray | None = None,
) -> FloatArray:
    """Captured length (m) for each pose: longest stretch of whole nerve inside the lesion."""
    spacing = float(np.linalg.norm(centreline_m[1] - centreline_m[0]))
    margin = margins_m(profile, centreline_m, tips_m, directions, nerve_radius_m, radius_scale)
    return longest_inside_run_m(margin, spacing)
