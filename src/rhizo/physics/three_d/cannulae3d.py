"""Several electrodes in one 3D scene: each cannula's role, and tines deployed from a tip.

A :class:`Cannula3D` is a :class:`rhizo.physics.three_d.geometry3d.CannulaPose` with a
role in the generator's circuit:

- ``active``: its uninsulated metal is at the generator's voltage V;
- ``return``: its uninsulated metal is at 0 V (the other pole of a bipolar pair).

Cannulae of one role form one electrode group (every active tip is at V, every return
tip at 0 V). Monopolar: one active cannula, the far boundary grounded or "infinite".
Bipolar: one active and one return, no pad, far faces insulating or "infinite" with
zero net current (the current flows from tip to tip).

Tines (a multi-tine electrode) are straight wires of radius ``radius_m`` leaving the
apex region at ``angle_deg`` from the cannula's axis, evenly spaced in azimuth, each
``length_m`` long: extra metal at the tip's potential (same group). A tine's level set
is the capsule distance |x - p(x)| - r_t, p(x) the nearest point of its segment; the
cannula's metal is the union, min(phi_cannula, phi_tine...), so the face sets of
:mod:`rhizo.physics.fv` place the surfaces between cell centres as for one cannula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.geometry3d import CannulaPose, Vector
from rhizo.physics.three_d.grid3d import CartesianGrid

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ElectrodeRole = Literal["active", "return"]
ROLES: tuple[ElectrodeRole, ...] = ("active", "return")


@dataclass(frozen=True)
class Tines:
    """Straight tines deployed from a cannula's tip (SI).

    ``count`` tines, evenly spaced in azimuth from the cannula's ``u`` axis, leave the
    axis ``exit_back_m`` behind the apex and run ``length_m`` at ``angle_deg`` from the
    cannula's direction (0: straight ahead, 90: sideways).
    """

    count: int
    length_m: float
    angle_deg: float
    radius_m: float
    exit_back_m: float = 0.0

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"tines count={self.count} must be >= 1")
        for name in ("length_m", "radius_m"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"tines {name}={value:g} must be finite and > 0")
        if not 0.0 <= self.angle_deg <= 90.0:
            raise ValueError(f"tines angle_deg={self.angle_deg:g} must be 0 to 90")
        if not math.isfinite(self.exit_back_m) or self.exit_back_m < 0:
            raise ValueError(f"tines exit_back_m={self.exit_back_m:g} must be >= 0")

    def segments(self, pose: CannulaPose) -> list[tuple[FloatArray, FloatArray]]:
        """(start, end) of each tine in the grid's frame (m)."""
        from rhizo.physics.three_d.measure3d import perpendicular_axes

        d = np.asarray(pose.direction)
        u, v = perpendicular_axes(pose.direction)
        start = np.asarray(pose.tip_m) - self.exit_back_m * d
        angle = math.radians(self.angle_deg)
        out = []
        for index in range(self.count):
            azimuth = 2 * math.pi * index / self.count
            radial = math.cos(azimuth) * u + math.sin(azimuth) * v
            way = math.cos(angle) * d + math.sin(angle) * radial
            out.append((start, start + self.length_m * way))
        return out


#: A Trident-like three-tine electrode. RECALLED, not read in a source: three tines
#: 120 degrees apart, about 30 degrees from the axis, about 5 mm long, wire about
#: 0.36 mm across (radius 0.18 mm). An illustration of the geometry, not a product's
#: specification; resolving a 0.18 mm wire needs cells of 0.15 mm or less.
TRIDENT_LIKE_TINES = Tines(count=3, length_m=5e-3, angle_deg=30.0, radius_m=0.18e-3)


def _segment_level_set(
    start: FloatArray, end: FloatArray, radius_m: float, points: tuple[FloatArray, ...]
) -> FloatArray:
    """Capsule distance |x - p(x)| - r of points to the segment [start, end]."""
    axis = end - start
    length2 = float(axis @ axis)
    offsets = [points[a] - start[a] for a in range(3)]
    t = (offsets[0] * axis[0] + offsets[1] * axis[1] + offsets[2] * axis[2]) / length2
    t = np.clip(t, 0.0, 1.0)
    gap = [offsets[a] - t * axis[a] for a in range(3)]
    return np.asarray(np.sqrt(gap[0] ** 2 + gap[1] ** 2 + gap[2] ** 2) - radius_m)


@dataclass(frozen=True)
class Cannula3D:
    """One cannula of a scene: its pose, its role, optional tines, a name for traces."""

    pose: CannulaPose
    role: ElectrodeRole = "active"
    tines: Tines | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role={self.role!r} must be one of {', '.join(ROLES)}")

    def _tine_level_set(self, x_m: FloatArray, y_m: FloatArray, z_m: FloatArray) -> FloatArray:
        level = np.full(np.shape(x_m), np.inf)
        if self.tines is not None:
            for start, end in self.tines.segments(self.pose):
                level = np.minimum(
                    level, _segment_level_set(start, end, self.tines.radius_m, (x_m, y_m, z_m))
                )
        return level

    def unresolved_tines(self, grid: CartesianGrid, metal: BoolArray) -> list[int]:
        """Tines (1-based) not resolved by the grid: some cell containing a point of the
        tine's axis (sampled every half radius) is not metal in ``metal``."""
        missing: list[int] = []
        if self.tines is None:
            return missing
        step = 0.5 * self.tines.radius_m
        for number, (start, end) in enumerate(self.tines.segments(self.pose), start=1):
            count = max(2, math.ceil(self.tines.length_m / step) + 1)
            points = start + np.linspace(0.0, 1.0, count)[:, None] * (end - start)
            index = []
            for axis in range(3):
                faces = grid.faces[axis]
                inside = np.clip(np.searchsorted(faces, points[:, axis]) - 1, 0, faces.size - 2)
                index.append(inside)
            if not bool(np.all(metal[index[0], index[1], index[2]])):
                missing.append(number)
        return missing

    def level_set(self, x_m: FloatArray, y_m: FloatArray, z_m: FloatArray) -> FloatArray:
        """The metal's level set (negative in metal): the cannula and its tines."""
        level = self.pose.level_set(x_m, y_m, z_m)
        if self.tines is None:
            return level
        return np.asarray(np.minimum(level, self._tine_level_set(x_m, y_m, z_m)))

    def is_uninsulated(self, x_m: FloatArray, y_m: FloatArray, z_m: FloatArray) -> BoolArray:
        """True where a metal point conducts current: the active tip and every tine."""
        bare = self.pose.is_active(x_m, y_m, z_m)
        if self.tines is None:
            return bare
        return np.asarray(bare | (self._tine_level_set(x_m, y_m, z_m) < 0))

    @property
    def tip_centre_m(self) -> FloatArray:
        """Middle of the active tip on the axis (m)."""
        length = self.pose.electrode.tip_length_m
        return np.asarray(self.pose.tip_m) - 0.5 * length * np.asarray(self.pose.direction)

    def extent_m(self) -> tuple[FloatArray, FloatArray]:
        """Axis-aligned box (low, high) holding the active tip's metal and the tines."""
        electrode = self.pose.electrode
        tip = np.asarray(self.pose.tip_m)
        base = tip - electrode.tip_length_m * np.asarray(self.pose.direction)
        low = np.minimum(tip, base) - electrode.radius_m
        high = np.maximum(tip, base) + electrode.radius_m
        if self.tines is not None:
            for start, end in self.tines.segments(self.pose):
                low = np.minimum(low, np.minimum(start, end) - self.tines.radius_m)
                high = np.maximum(high, np.maximum(start, end) + self.tines.radius_m)
        return low, high


def parallel_pair(
    pose: CannulaPose, spacing_m: float, *, offset: Vector | None = None
) -> tuple[Cannula3D, Cannula3D]:
    """An active cannula at ``pose`` and a return one ``spacing_m`` away (centre to
    centre), parallel, displaced along ``offset`` (default the pose's ``u`` axis)."""
    from rhizo.physics.three_d.measure3d import perpendicular_axes

    if not math.isfinite(spacing_m) or spacing_m <= 2 * pose.electrode.radius_m:
        raise ValueError(
            f"spacing_m={spacing_m:g} must exceed the cannula's diameter "
            f"{2 * pose.electrode.radius_m:g} m"
        )
    way = perpendicular_axes(pose.direction)[0] if offset is None else np.asarray(offset)
    way = way / np.linalg.norm(way)
    tip = tuple(float(c) for c in np.asarray(pose.tip_m) + spacing_m * way)
    other = CannulaPose(pose.electrode, tip_m=(tip[0], tip[1], tip[2]), direction=pose.direction)
    return Cannula3D(pose, "active", name="1"), Cannula3D(other, "return", name="2")
