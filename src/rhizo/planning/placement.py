"""Where the cannula lies relative to the nerve, and how far that can be off.

Geometry, in the nerve frame of :mod:`rhizo.planning.anatomy` (x along the
nerve, y across it in the bone plane, z away from bone), millimetres and
degrees at this edge, metres and radians inside:

- the cannula points along ``u = (cos a cos p, cos a sin p, -sin a)``: ``a`` is
  the angle between cannula and nerve (``angle_deg``; 0 = parallel, 90 =
  perpendicular, pointing down onto the bone the nerve lies on) and ``p`` a yaw
  in the bone plane (0 as planned);
- the metal's distal end (cannula z = 0) is at ``(x_tip, offset_mm, height_mm)``
  with ``x_tip = along_nerve_mm + (L/2) cos a``, so that ``along_nerve_mm`` is
  the nerve coordinate of the active tip's midpoint projected on the nerve
  (0 = centred on the target point);
- ``offset_mm`` is the perpendicular distance across the nerve (in the bone
  plane). The depth: with ``tip_stop="contact"`` (the default) the cannula is
  lowered until its metal meets the bone or the nerve
  (:mod:`rhizo.planning.tipdepth`; metal and nerve never overlap), so a
  perpendicular tip beside the nerve lands on bone and one over it rides on it;
  with ``tip_stop="planned"`` the distal end sits ``height_mm`` above the nerve
  axis as given (synthetic geometry tests);
- extra lesions (``lesion_count`` > 1) repeat the placement shifted by
  ``lesion_spacing_mm`` across the nerve towards -y (for a positive offset,
  towards and past the nerve), so two lesions straddle the nerve.

Errors (:class:`PlacementError`, normal, zero mean) perturb the distal end
across / along / above the nerve and the two angles; anatomical variability
(:class:`rhizo.planning.anatomy.Nerve`) shifts the nerve across its course and
rotates it in the bone plane, applied as the inverse motion of the cannula.
Every lesion of one procedure shares the same errors (the physician places the
second relative to the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from rhizo.planning.anatomy import Nerve
from rhizo.planning.tipdepth import contact_lift_m

#: Nerve points for the contact test are this far apart (mm): the metal may press into
#: the nerve between two points by at most s^2 / (8 (r_c + a)) < 0.01 mm.
CONTACT_SPACING_MM = 0.25

FloatArray = NDArray[np.float64]


class CannulaPlacement(BaseModel):
    """A planned cannula pose relative to the nerve (mm, degrees)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    angle_deg: float = Field(0.0, ge=0.0, le=90.0, description="0 = parallel to the nerve")
    offset_mm: float = Field(1.0, ge=0.0, le=20.0, description="across the nerve, bone plane")
    height_mm: float = Field(
        0.0, ge=-20.0, le=20.0, description="distal end above the nerve (tip_stop='planned')"
    )
    tip_stop: Literal["contact", "planned"] = Field(
        "contact", description="'contact': lowered until the metal meets bone or nerve"
    )
    along_nerve_mm: float = Field(0.0, ge=-20.0, le=20.0, description="tip midpoint on nerve")
    lesion_count: int = Field(1, ge=1, le=4)
    lesion_spacing_mm: float = Field(2.0, ge=0.0, le=10.0)


class PlacementError(BaseModel):
    """Placement error standard deviations (source ``assumed_placement_error``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lateral_sd_mm: float = Field(1.0, ge=0.0)
    height_sd_mm: float = Field(0.5, ge=0.0)
    along_sd_mm: float = Field(2.0, ge=0.0)
    angle_sd_deg: float = Field(5.0, ge=0.0)
    yaw_sd_deg: float = Field(5.0, ge=0.0)

    @classmethod
    def none(cls) -> PlacementError:
        """No placement error (exact geometry)."""
        return cls(
            lateral_sd_mm=0.0, height_sd_mm=0.0, along_sd_mm=0.0, angle_sd_deg=0.0, yaw_sd_deg=0.0
        )


@dataclass(frozen=True)
class Poses:
    """Sampled cannula poses in the nerve frame (SI).

    ``tips``: (lesions, n, 3) distal ends; ``directions``: (n, 3) unit vectors
    pointing distally; ``nerve_radius_m``: (n,) the nerve's radius in each sample.
    """

    tips: FloatArray
    directions: FloatArray
    nerve_radius_m: FloatArray

    @property
    def count(self) -> int:
        """Number of samples."""
        return int(self.directions.shape[0])


@dataclass(frozen=True)
class PoseNumbers:
    """The random numbers of ``n`` poses, before any geometry: ``normal`` (7, n)
    standard normals (angle, yaw, along, across, height, nerve shift, nerve turn)
    and the nerve's ``diameter_mm`` (n,). Poses are computed from them row by row
    (:func:`poses_from_numbers`), so any rows' poses equal those rows of all poses."""

    normal: FloatArray
    diameter_mm: FloatArray

    @property
    def count(self) -> int:
        """Number of samples."""
        return int(self.diameter_mm.shape[0])

    def rows(self, rows: slice) -> PoseNumbers:
        """The numbers of ``rows`` only."""
        return PoseNumbers(self.normal[:, rows], self.diameter_mm[rows])


def draw_pose_numbers(
    nerve: Nerve, *, samples: int, rng: np.random.Generator, anatomy_varies: bool = True
) -> PoseNumbers:
    """Draw :class:`PoseNumbers` from ``rng``: the normals, then the diameters (uniform in
    the nerve's range; its nominal diameter, no draw, without anatomical variation)."""
    normal = rng.standard_normal((7, samples))
    low, high = nerve.diameter_range_mm
    if anatomy_varies and high > low:
        diameter = rng.uniform(low, high, samples)
    else:
        diameter = np.full(samples, low if anatomy_varies else nerve.diameter_mm)
    return PoseNumbers(normal, diameter)


def sample_poses(
    placement: CannulaPlacement,
    nerve: Nerve,
    *,
    tip_length_mm: float,
    errors: PlacementError,
    samples: int,
    rng: np.random.Generator,
    anatomy_varies: bool = True,
    cannula_radius_mm: float = 0.0,
) -> Poses:
    """Draw ``samples`` poses: the plan plus placement error and anatomical variation.

    With ``placement.tip_stop == "contact"`` each lesion's cannula (outer radius
    ``cannula_radius_mm``) is then lowered onto the bone or the nerve, whichever
    it meets first (the sampled height error is overridden by the contact).
    :func:`draw_pose_numbers` then :func:`poses_from_numbers`.
    """
    numbers = draw_pose_numbers(nerve, samples=samples, rng=rng, anatomy_varies=anatomy_varies)
    return poses_from_numbers(
        placement,
        nerve,
        numbers,
        tip_length_mm=tip_length_mm,
        errors=errors,
        anatomy_varies=anatomy_varies,
        cannula_radius_mm=cannula_radius_mm,
    )


def poses_from_numbers(
    placement: CannulaPlacement,
    nerve: Nerve,
    numbers: PoseNumbers,
    *,
    tip_length_mm: float,
    errors: PlacementError,
    anatomy_varies: bool = True,
    cannula_radius_mm: float = 0.0,
) -> Poses:
    """The poses of :func:`sample_poses` from its random numbers (elementwise per row,
    the contact test included: :func:`rhizo.planning.tipdepth.contact_lift_m`)."""
    n = numbers.count
    normal = numbers.normal
    angle = np.radians(placement.angle_deg + errors.angle_sd_deg * normal[0])
    yaw = np.radians(errors.yaw_sd_deg * normal[1])
    tip_x = (
        placement.along_nerve_mm
        + 0.5 * tip_length_mm * np.cos(np.radians(placement.angle_deg))
        + errors.along_sd_mm * normal[2]
    )
    tip_y = placement.offset_mm + errors.lateral_sd_mm * normal[3]
    tip_z = placement.height_mm + errors.height_sd_mm * normal[4]
    diameter = numbers.diameter_mm
    if anatomy_varies:
        nerve_shift = nerve.lateral_sd_mm * normal[5]
        nerve_turn = np.radians(nerve.course_angle_sd_deg * normal[6])
    else:
        nerve_shift = np.zeros(n)
        nerve_turn = np.zeros(n)
    # Inverse anatomical motion applied to the cannula: shift by -shift, rotate by -turn.
    cos_t, sin_t = np.cos(-nerve_turn), np.sin(-nerve_turn)
    yaw = yaw - nerve_turn
    directions = np.column_stack(
        [np.cos(angle) * np.cos(yaw), np.cos(angle) * np.sin(yaw), -np.sin(angle)]
    )
    tips = np.empty((placement.lesion_count, n, 3))
    for k in range(placement.lesion_count):
        y = tip_y - k * placement.lesion_spacing_mm
        x_rot = cos_t * tip_x - sin_t * y
        y_rot = sin_t * tip_x + cos_t * y - nerve_shift
        tips[k] = np.column_stack([x_rot, y_rot, tip_z]) * 1e-3
    nerve_radius_m = diameter * 0.5e-3
    if placement.tip_stop == "contact":
        # Every lesion of every sample in one call: (lesions x n) cannulae.
        lesions = placement.lesion_count
        lift = contact_lift_m(
            tips.reshape(lesions * n, 3),
            np.tile(directions, (lesions, 1)),
            tip_length_m=tip_length_mm * 1e-3,
            cannula_radius_m=cannula_radius_mm * 1e-3,
            centreline_m=nerve.centreline_m(CONTACT_SPACING_MM),
            nerve_radius_m=np.tile(nerve_radius_m, lesions),
            groove_depth_m=nerve.groove_depth_mm * 1e-3,
        )
        tips[:, :, 2] += lift.reshape(lesions, n)
    return Poses(tips=tips, directions=directions, nerve_radius_m=nerve_radius_m)


def planned_pose(
    placement: CannulaPlacement,
    nerve: Nerve,
    *,
    tip_length_mm: float,
    cannula_radius_mm: float = 0.0,
) -> Poses:
    """The planned pose alone (one sample, no error, nominal anatomy)."""
    return sample_poses(
        placement,
        nerve,
        tip_length_mm=tip_length_mm,
        errors=PlacementError.none(),
        samples=1,
        rng=np.random.default_rng(0),
        anatomy_varies=False,
        cannula_radius_mm=cannula_radius_mm,
    )
