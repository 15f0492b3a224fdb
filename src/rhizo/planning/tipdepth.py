"""Tip depth: a cannula is lowered until its metal meets the bone or the nerve.

Nerve frame (metres): x along the nerve, y across it in the bone plane, z away
from bone; the nerve's axis lies at z = 0 and its cross-section is a disc of
radius ``a``. The bone the nerve lies on is the plane

    z_bone = -a + groove_depth,

``groove_depth`` (:attr:`rhizo.planning.anatomy.Nerve.groove_depth_mm`) being how
far the bone around the nerve rises above the nerve's floor (0: the nerve lies on
flat bone; > 0: it sits in a groove the cannula cannot enter).

The metal that can touch is the active tip, modelled as a capsule: the points
within ``r_c`` (the cannula's outer radius) of the segment from the tip's
proximal end ``A = B - L u`` to ``C = B - r_c u``, so that its rounded end reaches
the metal's distal end ``B`` (the engine's z = 0). The shaft behind the active
tip is taken to rise away from the bone (cannulae approach it obliquely: Lau
2004, inserted obliquely from below), so it touches nothing.

The cannula keeps its direction and its position in the bone plane and is
lowered (moved along -z) from above until first contact. (A perpendicular
cannula advanced along its axis is lowered exactly so; for an oblique one the
along-nerve shift of the real advance, ``cot(angle)`` per mm, is left out: it is
small next to the along-nerve placement error.) First contact, over lifts h of
the capsule (positions ``capsule + h z_hat``):

- bone: the capsule's lowest point ``min(A_z, C_z) - r_c`` reaches ``z_bone``:
  ``h_bone = z_bone + r_c - min(A_z, C_z)``;
- nerve: the nerve touches the metal when a centreline point P lies within
  ``rho = r_c + a`` of the segment, i.e. inside the capsule of radius ``rho``.
  Coming down, P is first reached at ``h = P_z - z_lo(P)``, ``z_lo`` the lowest
  point of that capsule on the vertical line through P (a sphere cap at A or C,
  ``S_z - sqrt(rho^2 - d_xy^2)``, or the cylinder's surface, the lower root of
  ``(1 - u_z^2) t^2 - 2 (q.u) u_z t + |q|^2 - (q.u)^2 - rho^2 = 0``, q the
  horizontal offset of P from A, inside the segment);

the cannula stops at ``h = max(h_bone, max_P h_P)``: metal and nerve never
overlap and the metal never enters bone.

Hand case (tests/planning/test_tipdepth.py): an 18 G cannula (r_c = 0.635 mm)
straight down at 1 mm from a 1 mm nerve (a = 0.5 mm) on flat bone rides on the
nerve: the end sphere's centre stops at sqrt(1.135^2 - 1^2) = 0.537 mm, the
metal's end at 0.537 - 0.635 = -0.098 mm (below the nerve's axis, above the bone
at -0.5 mm); at 2 mm it reaches the bone, the end at z = -0.5 mm.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rhizo.planning.nearby import RowPoints, nearby_windows

FloatArray = NDArray[np.float64]


def _sphere_low(centre: FloatArray, points: RowPoints, rho: FloatArray) -> FloatArray:
    """Lowest z of spheres (radius ``rho`` (n,)) at ``centre`` (n, 3) on verticals through
    ``points`` (x, y, z, each (n, W)), each row its own points; +inf where the vertical
    misses. Shape (n, W)."""
    dx = points[0] - centre[:, None, 0]
    dy = points[1] - centre[:, None, 1]
    under = rho[:, None] ** 2 - dx * dx - dy * dy
    low = centre[:, None, 2] - np.sqrt(np.maximum(under, 0.0))
    return np.where(under >= 0.0, low, np.inf)


def _body_low(
    start: FloatArray,
    directions: FloatArray,
    length_m: float,
    points: RowPoints,
    rho: FloatArray,
) -> FloatArray:
    """Lowest z of the capsule body (cylinder of radius ``rho`` about the segment from
    ``start`` along ``directions`` for ``length_m``) on verticals through ``points``
    (x, y, z, each (n, W)); +inf where the vertical misses it or the entry point is beyond the
    segment."""
    qx = points[0] - start[:, None, 0]
    qy = points[1] - start[:, None, 1]
    ux, uy, uz = (directions[:, k, None] for k in range(3))
    q_dot_u = qx * ux + qy * uy
    alpha = 1.0 - uz * uz
    beta = -2.0 * q_dot_u * uz
    gamma = qx * qx + qy * qy - q_dot_u * q_dot_u - rho[:, None] ** 2
    disc = beta * beta - 4.0 * alpha * gamma
    steep = alpha > 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        t_low = (-beta - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * alpha)
    along = q_dot_u + t_low * uz
    valid = steep & (disc >= 0.0) & (along >= 0.0) & (along <= length_m)
    return np.where(valid, start[:, None, 2] + t_low, np.inf)


def contact_lift_m(
    ends_m: FloatArray,
    directions: FloatArray,
    *,
    tip_length_m: float,
    cannula_radius_m: float,
    centreline_m: FloatArray,
    nerve_radius_m: FloatArray,
    groove_depth_m: float = 0.0,
) -> FloatArray:
    """How far (m, (n,)) to move each cannula along +z so that it rests on bone or nerve.

    ``ends_m`` (n, 3) are the metal's distal ends, ``directions`` (n, 3) unit
    vectors pointing distally, ``centreline_m`` (m, 3) the nerve's axis points and
    ``nerve_radius_m`` (n,) its radius per sample. Negative lifts lower the cannula.

    All poses at once, and for each only the nerve points that can touch its
    metal: a point whose x lies more than ``rho`` from the capsule's x-range
    ``[min(A_x, C_x), max(A_x, C_x)]`` is more than ``rho`` from the segment
    horizontally, so no vertical through it meets the capsule (its lift would be
    -inf); :func:`rhizo.planning.nearby.nearby_windows` keeps the rest (a
    one-spacing allowance beyond ``rho`` absorbs rounding). The result is the same
    as testing every point.
    Cannulae go through in blocks (:meth:`rhizo.planning.nearby.Windows.block_rows`).
    """
    r_c = cannula_radius_m
    near = ends_m - r_c * directions  # C: centre of the rounded end
    far = ends_m - max(tip_length_m, r_c) * directions  # A: proximal end of the tip
    body = max(tip_length_m - r_c, 0.0)
    bone_z = -nerve_radius_m + groove_depth_m
    lift_bone = bone_z + r_c - np.minimum(near[:, 2], far[:, 2])
    rho = nerve_radius_m + r_c
    reach = rho + _spacing_m(centreline_m)
    x_low = np.minimum(near[:, 0], far[:, 0]) - reach
    x_high = np.maximum(near[:, 0], far[:, 0]) + reach
    lift_nerve = np.empty(ends_m.shape[0])
    windows = nearby_windows(centreline_m, x_low, x_high)
    block = windows.block_rows()
    for start in range(0, ends_m.shape[0], block):
        rows = slice(start, start + block)
        points = windows.points(rows)
        low = np.minimum(
            np.minimum(
                _sphere_low(near[rows], points, rho[rows]),
                _sphere_low(far[rows], points, rho[rows]),
            ),
            _body_low(far[rows], directions[rows], body, points, rho[rows]),
        )
        lift_nerve[rows] = np.max(points[2] - low, axis=1)  # -inf where no contact
    return np.asarray(np.maximum(lift_bone, lift_nerve), dtype=np.float64)


def _spacing_m(centreline_m: FloatArray) -> float:
    """The largest distance between consecutive centreline points (m)."""
    if centreline_m.shape[0] < 2:
        return 0.0
    return float(np.max(np.linalg.norm(np.diff(centreline_m, axis=0), axis=1)))
