"""What sits in the 3D grid: a cannula at any pose, bone solids, tissue labels.

The cannula is the axisymmetric engine's own :class:`rhizo.physics.electrode.Electrode`
(gauge radius, active tip length, blunt or sharp end, insulated shaft), placed by a
pose: the tip's apex ``tip_m`` and the unit ``direction`` from the shaft towards the
tip. A point x has the cannula's local coordinates

    z = (x - tip) . d,     r = |x - tip - z d|,

so the electrode's level set phi(r, z) (negative in metal) and its active part
(z >= -L) are evaluated unchanged: one definition of the cannula's shape.

Tissues are labels: 0 is the surrounding tissue, 1.. are further tissues (bone) in
masks, each a :class:`rhizo.physics.tissue.Tissue` with its own sigma(T), k, rho c,
perfusion and damage model. Bone properties are in :data:`CORTICAL_BONE` with sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.damage import DEFAULT_DAMAGE_MODEL
from rhizo.physics.electrode import ElectrodeShape
from rhizo.physics.three_d.grid3d import CartesianGrid, graded_faces
from rhizo.physics.tissue import Tissue, perfusion_rate_from_ml_per_min_kg

if TYPE_CHECKING:
    from rhizo.physics.three_d.cannulae3d import Cannula3D

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Vector = tuple[float, float, float]

#: Cortical bone for RF lesion models. Evidence per field in ``sources``.
CORTICAL_BONE = Tissue(
    name="bone-cortical",
    description=(
        "cortical bone (a solid label beside the cannula): about 20 times less conductive "
        "than muscle, and a poorer heat conductor"
    ),
    electrical_conductivity_s_per_m=0.02,
    thermal_conductivity_w_per_m_k=0.32,
    density_kg_per_m3=1908.0,
    specific_heat_j_per_kg_k=1313.0,
    perfusion_rate_per_s=perfusion_rate_from_ml_per_min_kg(10.0, 1908.0),
    perfusion_model="stop",
    damage=DEFAULT_DAMAGE_MODEL,
    lesion_boundary_definition="Omega >= 1 of the liver set (no bone damage model): not a lesion",
    sources={
        "electrical_conductivity_s_per_m": (
            "SECONDARY: 0.02 S/m cortical (0.087 S/m trabecular) in the osteoid-osteoma RFA "
            "model, PubMed 26862788 (abstract as summarised in the project's research notes); "
            "consistent with Gabriel's bone 0.0218 S/m at 400 kHz, BMC Biomed Eng Online 2018, "
            "doi 10.1186/s12938-018-0473-9, Table 3 (read)"
        ),
        "conductivity_temperature_coefficient_per_k": (
            "RECALLED for bone: the soft-tissue 1.5 %/C of Irastorza's RFA-tutorial applied"
        ),
        "thermal_conductivity_w_per_m_k": (
            "SECONDARY: IT'IS database 'Bone (Cortical)' 0.32 W/(m K), as read in third-party "
            "k-Wave scripts"
        ),
        "density_kg_per_m3": "SECONDARY: IT'IS 'Bone (Cortical)' 1908 kg/m^3 (same scripts)",
        "specific_heat_j_per_kg_k": "SECONDARY: IT'IS 'Bone (Cortical)' 1313 J/(kg K) (same)",
        "perfusion_rate_per_s": "RECALLED: IT'IS cortical bone about 10 mL/(min kg)",
        "damage": "RECALLED stand-in: no bone Arrhenius set found; Jacques' liver set",
    },
    unverified=("conductivity_temperature_coefficient_per_k", "perfusion_rate_per_s", "damage"),
)


@dataclass(frozen=True)
class CannulaPose:
    """Where the cannula is: the tip apex (m) and the unit axis from shaft to tip."""

    electrode: ElectrodeShape
    tip_m: Vector = (0.0, 0.0, 0.0)
    direction: Vector = (0.0, 0.0, 1.0)

    def __post_init__(self) -> None:
        norm = math.sqrt(sum(c * c for c in self.direction))
        if not math.isfinite(norm) or norm == 0.0:
            raise ValueError(f"direction={self.direction} must be a non-zero finite vector")
        object.__setattr__(self, "direction", tuple(c / norm for c in self.direction))

    def local(
        self, x_m: FloatArray, y_m: FloatArray, z_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(r, z) of points in the cannula's frame (m): z along the axis, 0 at the apex."""
        dx, dy, dz = (x_m - self.tip_m[0], y_m - self.tip_m[1], z_m - self.tip_m[2])
        d = self.direction
        along = dx * d[0] + dy * d[1] + dz * d[2]
        ex, ey, ez = dx - along * d[0], dy - along * d[1], dz - along * d[2]
        return np.sqrt(ex * ex + ey * ey + ez * ez), along

    def level_set(self, x_m: FloatArray, y_m: FloatArray, z_m: FloatArray) -> FloatArray:
        """The electrode's level set at points (negative in metal)."""
        r, z = self.local(x_m, y_m, z_m)
        return np.asarray(self.electrode.level_set(r, z))

    def is_active(self, x_m: FloatArray, y_m: FloatArray, z_m: FloatArray) -> BoolArray:
        """True where a metal point belongs to the uninsulated tip."""
        _, z = self.local(x_m, y_m, z_m)
        return np.asarray(self.electrode.is_active(z))


def box_mask(grid: CartesianGrid, low_m: Vector, high_m: Vector) -> BoolArray:
    """Cells whose centre lies in the axis-aligned box [low, high] (a bone block)."""
    x, y, z = grid.mesh_m
    inside = np.ones(grid.shape, dtype=bool)
    for coordinate, lo, hi in zip((x, y, z), low_m, high_m, strict=True):
        if not lo < hi:
            raise ValueError(f"box low {low_m} must be below high {high_m} on every axis")
        inside &= (coordinate >= lo) & (coordinate <= hi)
    return inside


@dataclass(frozen=True)
class Scene:
    """A grid, the cannulae and the tissues: ``tissues[0]`` everywhere ``labels`` is 0.

    ``pose`` is the (first active) cannula; ``cannulae`` lists every cannula with its
    role (:mod:`rhizo.physics.three_d.cannulae3d`), empty for one active ``pose``.
    """

    grid: CartesianGrid
    pose: CannulaPose
    tissues: tuple[Tissue, ...]
    labels: NDArray[np.int8]
    cannulae: tuple[Cannula3D, ...] = ()

    @property
    def electrodes(self) -> tuple[Cannula3D, ...]:
        """Every cannula with its role: ``cannulae``, or ``pose`` alone as the active one."""
        if self.cannulae:
            return self.cannulae
        from rhizo.physics.three_d.cannulae3d import Cannula3D

        return (Cannula3D(self.pose),)

    @classmethod
    def build_multi(
        cls,
        grid: CartesianGrid,
        cannulae: tuple[Cannula3D, ...],
        tissue: Tissue,
        solids: tuple[tuple[Tissue, BoolArray], ...] = (),
    ) -> Scene:
        """A scene of several cannulae (at least one active), ``solids`` as :meth:`build`."""
        actives = [c for c in cannulae if c.role == "active"]
        if not actives:
            roles = ", ".join(c.role for c in cannulae) or "none"
            raise ValueError(f"cannulae roles ({roles}) must include at least one 'active'")
        scene = cls.build(grid, actives[0].pose, tissue, solids)
        return cls(
            grid=grid,
            pose=scene.pose,
            tissues=scene.tissues,
            labels=scene.labels,
            cannulae=tuple(cannulae),
        )

    @classmethod
    def build(
        cls,
        grid: CartesianGrid,
        pose: CannulaPose,
        tissue: Tissue,
        solids: tuple[tuple[Tissue, BoolArray], ...] = (),
    ) -> Scene:
        """The scene with ``solids`` (tissue, mask) painted over ``tissue`` in order."""
        labels = np.zeros(grid.shape, dtype=np.int8)
        tissues = [tissue]
        for index, (solid, mask) in enumerate(solids, start=1):
            if mask.shape != grid.shape:
                raise ValueError(f"solid {solid.name!r} mask shape {mask.shape} != {grid.shape}")
            labels[mask] = index
            tissues.append(solid)
        return cls(grid=grid, pose=pose, tissues=tuple(tissues), labels=labels)

    def per_cell(self, values: tuple[float, ...]) -> FloatArray:
        """A per-tissue constant spread over the cells by label."""
        return np.asarray(np.asarray(values, dtype=np.float64)[self.labels])

    def conductivity(self, temperature_c: FloatArray) -> FloatArray:
        """sigma(T) per cell from each cell's own tissue (S/m)."""
        sigma = np.empty(self.grid.shape)
        for index, tissue in enumerate(self.tissues):
            where = self.labels == index
            sigma[where] = tissue.electrical_conductivity(temperature_c[where])
        return sigma


def grid_around_cannula(
    pose: CannulaPose,
    *,
    cell_m: float,
    fine_margin_m: float,
    half_width_m: float,
    growth: float = 1.2,
) -> CartesianGrid:
    """A cube of half-width ``half_width_m`` centred on the active tip's middle, with
    uniform ``cell_m`` cells in the box around the active tip (``fine_margin_m``
    beyond its metal on every side) growing by ``growth`` outward."""
    electrode = pose.electrode
    length = electrode.tip_length_m
    tip = np.asarray(pose.tip_m)
    base = tip - length * np.asarray(pose.direction)
    centre = 0.5 * (tip + base)
    low = np.minimum(tip, base) - electrode.radius_m - fine_margin_m
    high = np.maximum(tip, base) + electrode.radius_m + fine_margin_m
    faces = []
    for axis in range(3):
        lo, hi = centre[axis] - half_width_m, centre[axis] + half_width_m
        faces.append(
            graded_faces(
                low_m=lo,
                high_m=hi,
                fine_low_m=max(float(low[axis]), lo),
                fine_high_m=min(float(high[axis]), hi),
                cell_m=cell_m,
                growth=growth,
            )
        )
    return CartesianGrid(faces[0], faces[1], faces[2])


def grid_around_cannulae(
    cannulae: tuple[Cannula3D, ...],
    *,
    cell_m: float,
    fine_margin_m: float,
    margin_m: float,
    growth: float = 1.2,
) -> CartesianGrid:
    """A box of uniform ``cell_m`` cells around every active tip and tine (``fine_margin_m``
    beyond their metal), growing by ``growth`` to ``margin_m`` beyond the fine box's
    centre-to-face half-width on every side (a cube when the fine box is one)."""
    lows, highs = zip(*(c.extent_m() for c in cannulae), strict=True)
    low = np.min(np.asarray(lows), axis=0) - fine_margin_m
    high = np.max(np.asarray(highs), axis=0) + fine_margin_m
    centre = 0.5 * (low + high)
    half = float(np.max(high - low)) / 2 + margin_m
    faces = [
        graded_faces(
            low_m=float(centre[a]) - half,
            high_m=float(centre[a]) + half,
            fine_low_m=float(low[a]),
            fine_high_m=float(high[a]),
            cell_m=cell_m,
            growth=growth,
        )
        for a in range(3)
    ]
    return CartesianGrid(faces[0], faces[1], faces[2])
