"""Finite-volume face conductances of the 3D grid, the 7-point operator and Joule heat.

The discretisation is the axisymmetric engine's (:mod:`rhizo.physics.fv`) on a
Cartesian grid: between cells P and Q a face of area A carries G (u_P - u_Q),

    G = A / (d_P / kappa_P + d_Q / kappa_Q)        (harmonic, kappa = sigma or k),

and where a face crosses the metal surface the surface sits at the linearly
interpolated zero of the cannula's level set (Shortley-Weller), built by the same
:func:`rhizo.physics.fv._face_set` per axis. Electric problem: tissue and bone cells
are unknowns, the active tip is a Dirichlet surface at the electrode potential, the
insulated shaft carries no current, and the far boundary is grounded (V = 0) or the
infinite-medium Robin condition dV/dn = -V cos(angle)/rho of a point source at the
active tip's centre (exact outside a sphere electrode), or insulating (no flux).

Several cannulae (:mod:`rhizo.physics.three_d.cannulae3d`): the metal is the union of
their level sets (each metal cell owned by the cannula of the lowest level set), the
active cannulae's bare metal is at the electrode potential and the return cannulae's at
0 V. With a return cannula (bipolar) the "infinite" far field is a dipole's, V - V_inf
~ cos(theta)/rho^2 about the midpoint of the two groups' tip centres, so the Robin
condition is dV/dn = -2 (V - V_inf) cos(angle)/rho with V_inf floating (no net current
to infinity; :mod:`rhizo.physics.three_d.potential3d`). Heat: every cell is an
unknown, the metal conducts, the shaft's insulation adds a series resistance, and
the far faces are held at the far temperature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from rhizo.physics.fv import FaceSet, _face_set, _thermal_family
from rhizo.physics.three_d.cannulae3d import Cannula3D
from rhizo.physics.three_d.geometry3d import CannulaPose
from rhizo.physics.three_d.grid3d import CartesianGrid

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
FarBoundary = Literal["infinite", "grounded", "insulating"]
FAR_BOUNDARIES: tuple[FarBoundary, ...] = ("infinite", "grounded", "insulating")


def _pair(axis: int) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Index of the lower and higher cell of each interior face normal to ``axis``."""
    low = [slice(None)] * 3
    high = [slice(None)] * 3
    low[axis] = slice(None, -1)
    high[axis] = slice(1, None)
    return tuple(low), tuple(high)


@dataclass(frozen=True)
class Geometry3D:
    """The grid with the cannulae in it: the metal mask and one face set per axis.

    ``active`` is the bare metal at the electrode potential, ``returning`` the bare
    metal of return cannulae (0 V), ``owner`` the index in ``cannulae`` of the cannula
    whose metal a cell is (-1 in tissue). ``faces[axis].active`` marks faces to any
    bare metal (either pole).
    """

    grid: CartesianGrid
    pose: CannulaPose
    metal: BoolArray
    active: BoolArray
    faces: tuple[FaceSet, FaceSet, FaceSet]
    returning: BoolArray | None = None
    owner: NDArray[np.int8] | None = None
    cannulae: tuple[Cannula3D, ...] = ()

    @property
    def tissue(self) -> BoolArray:
        """Cells whose centre is not in metal (tissue or bone)."""
        return ~self.metal

    @property
    def electrodes(self) -> tuple[Cannula3D, ...]:
        """Every cannula with its role (``pose`` alone, active, for one cannula)."""
        return self.cannulae or (Cannula3D(self.pose),)

    @property
    def bipolar(self) -> bool:
        """True when some bare metal is a return pole."""
        return self.returning is not None and bool(self.returning.any())

    @property
    def owner_cells(self) -> NDArray[np.int8]:
        """``owner`` (index of each metal cell's cannula, -1 in tissue)."""
        if self.owner is not None:
            return self.owner
        return np.where(self.metal, 0, -1).astype(np.int8)

    @classmethod
    def build(
        cls,
        grid: CartesianGrid,
        pose: CannulaPose,
        cannulae: tuple[Cannula3D, ...] | None = None,
    ) -> Geometry3D:
        """Classify cells (metal where the level set is negative) and faces per axis.

        ``cannulae`` (several, with roles and tines) replaces ``pose`` alone; ``pose``
        is then the first active one's. Raises ``ValueError`` when the metal of an
        active and a return cannula touch (a short circuit).
        """
        x, y, z = grid.mesh_m
        returning: BoolArray | None = None
        owner: NDArray[np.int8] | None = None
        if not cannulae:
            level = pose.level_set(x, y, z)
            metal = level < 0
            active = metal & pose.is_active(x, y, z)
            bare = active
        else:
            levels = np.stack([c.level_set(x, y, z) for c in cannulae])
            nearest = np.argmin(levels, axis=0)
            level = np.take_along_axis(levels, nearest[None], axis=0)[0]
            metal = level < 0
            owner = np.where(metal, nearest, -1).astype(np.int8)
            uninsulated = np.zeros(grid.shape, dtype=bool)
            is_return = np.zeros(grid.shape, dtype=bool)
            for number, cannula in enumerate(cannulae):
                mine = owner == number
                uninsulated |= mine & cannula.is_uninsulated(x, y, z)
                is_return |= mine & (cannula.role == "return")
                if cannula.role == "return" and bool(np.any((levels[number] < 0) & ~mine)):
                    raise ValueError(
                        f"cannula {number + 1} (return) touches another cannula's metal: "
                        "the poles would short"
                    )
            for number, cannula in enumerate(cannulae):
                missing = cannula.unresolved_tines(grid, metal)
                if missing and cannula.tines is not None:
                    raise ValueError(
                        f"cannula {number + 1}'s tines {missing} (radius "
                        f"{cannula.tines.radius_m:g} m) are not resolved, cells along them "
                        "are not metal: refine the grid near the tip"
                    )
            active = uninsulated & ~is_return
            returning = uninsulated & is_return
            bare = uninsulated
        families = []
        for axis in range(3):
            low, high = _pair(axis)
            half = grid.widths_m(axis) / 2
            shape = list(grid.shape)
            shape[axis] -= 1
            view = [None, None, None]
            area = np.broadcast_to(grid.face_area_m2(axis), grid.shape)[low]
            index: list[slice | None] = list(view)
            index[axis] = slice(None)
            half_b = half[tuple(index)]
            families.append(
                _face_set(
                    area=np.ascontiguousarray(area),
                    distance_low=np.broadcast_to(half_b[low], shape),
                    distance_high=np.broadcast_to(half_b[high], shape),
                    level_low=level[low],
                    level_high=level[high],
                    active_low=bare[low],
                    active_high=bare[high],
                )
            )
        return cls(
            grid=grid,
            pose=pose,
            metal=metal,
            active=active,
            faces=(families[0], families[1], families[2]),
            returning=returning,
            owner=owner,
            cannulae=tuple(cannulae or ()),
        )


@dataclass(frozen=True)
class Conductances3D:
    """Interior face conductances per axis plus each cell's conductance to fixed values."""

    faces: tuple[FloatArray, FloatArray, FloatArray]
    dirichlet: FloatArray


def _boundary_faces(grid: CartesianGrid) -> list[tuple[tuple[slice | int, ...], int, float]]:
    """(cell index of a domain face's layer, axis, outward sign) for the six faces."""
    out: list[tuple[tuple[slice | int, ...], int, float]] = []
    for axis in range(3):
        for position, sign in ((0, -1.0), (-1, 1.0)):
            index: list[slice | int] = [slice(None)] * 3
            index[axis] = position
            out.append((tuple(index), axis, sign))
    return out


def far_field_centre(geometry: Geometry3D) -> tuple[FloatArray, float]:
    """(centre, decay power p) of the far field, V - V_inf ~ rho^-p.

    Monopolar: the active tip's centre (the mean of several), p = 1 (a point source).
    Bipolar: the midpoint
    of the mean active and mean return tip centres, p = 2 (a dipole: zero net current).
    """
    if not geometry.bipolar:
        if len(geometry.cannulae) > 1:  # several active tips: their mean centre
            return np.mean([c.tip_centre_m for c in geometry.cannulae], axis=0), 1.0
        pose = geometry.pose
        length = pose.electrode.tip_length_m
        return np.asarray(pose.tip_m) - 0.5 * length * np.asarray(pose.direction), 1.0
    poles = [
        np.mean([c.tip_centre_m for c in geometry.electrodes if c.role == role], axis=0)
        for role in ("active", "return")
    ]
    return 0.5 * (poles[0] + poles[1]), 2.0


def far_conductance_per_kappa(
    geometry: Geometry3D, boundary: FarBoundary | Literal["thermal"]
) -> FloatArray:
    """Each cell's conductance to the far boundary divided by its kappa (m).

    grounded / thermal: A / (h/2) (value fixed on the face); insulating: 0; infinite:
    the Robin term A c / (1 + c h/2) with c = p cos(angle)/rho, rho from the far
    field's centre to the face centre and p its decay power (:func:`far_field_centre`;
    p = 1 is the 2D engine's ``_robin``). Metal cells get 0 electrically.
    """
    grid = geometry.grid
    far = np.zeros(grid.shape)
    if boundary == "insulating":
        return far
    centre, decay = far_field_centre(geometry) if boundary == "infinite" else (np.zeros(3), 1.0)
    x, y, z = grid.mesh_m
    points = (x, y, z)
    for index, axis, sign in _boundary_faces(grid):
        area = np.broadcast_to(grid.face_area_m2(axis), grid.shape)[index]
        half = (grid.widths_m(axis)[0 if sign < 0 else -1]) / 2
        if boundary in ("grounded", "thermal"):
            far[index] += area / half
            continue
        face = grid.faces[axis][0 if sign < 0 else -1]
        offsets = [points[a][index] - centre[a] for a in range(3)]
        offsets[axis] = np.full_like(offsets[axis], face - centre[axis])
        rho = np.sqrt(sum(o * o for o in offsets))
        curvature = (sign * offsets[axis] / rho) / rho
        if decay != 1.0:
            curvature = decay * curvature
        far[index] += area * curvature / (1.0 + curvature * half)
    if boundary == "thermal":
        return far
    return np.where(geometry.tissue, far, 0.0)


@dataclass(frozen=True)
class ElectricCoefficients3D:
    """Geometry factors of the potential problem; :meth:`evaluate` applies any sigma."""

    areas: tuple[FloatArray, FloatArray, FloatArray]  # zero unless both cells are tissue
    low_m: tuple[FloatArray, FloatArray, FloatArray]
    high_m: tuple[FloatArray, FloatArray, FloatArray]
    electrode_m: FloatArray
    far_m: FloatArray
    #: Per cell: conductance to the return poles' bare metal / sigma (None: monopolar).
    return_m: FloatArray | None = None
    #: Per cannula: each cell's conductance to that cannula's bare metal / sigma.
    cannula_m: tuple[FloatArray, ...] = ()

    @classmethod
    def build(cls, geometry: Geometry3D, far_boundary: FarBoundary) -> ElectricCoefficients3D:
        """Factors per face and cell (NumPy arrays)."""
        if far_boundary not in FAR_BOUNDARIES:
            raise ValueError(
                f"far_boundary={far_boundary!r} must be one of {', '.join(FAR_BOUNDARIES)}"
            )
        shape = geometry.grid.shape
        electrode = np.zeros(shape)
        several = bool(geometry.cannulae)
        owner = geometry.owner_cells
        per_cannula = [np.zeros(shape) for _ in geometry.cannulae]
        for axis, faces in enumerate(geometry.faces):
            low, high = _pair(axis)
            conductance = np.where(faces.active, faces.area_m2 / faces.tissue_distance_m, 0.0)
            if several:
                metal_owner = np.where(faces.tissue_is_low, owner[high], owner[low])
                for index, accumulated in enumerate(per_cannula):
                    mine = np.where(metal_owner == index, conductance, 0.0)
                    accumulated[low] += np.where(faces.tissue_is_low, mine, 0.0)
                    accumulated[high] += np.where(faces.tissue_is_low, 0.0, mine)
                continue
            electrode[low] += np.where(faces.tissue_is_low, conductance, 0.0)
            electrode[high] += np.where(faces.tissue_is_low, 0.0, conductance)
        to_return: FloatArray | None = None
        if several:
            to_return = np.zeros(shape)
            for cannula, accumulated in zip(geometry.cannulae, per_cannula, strict=True):
                if cannula.role == "return":
                    to_return += accumulated
                else:
                    electrode += accumulated
        fs = geometry.faces
        return cls(
            areas=tuple(np.where(f.both_tissue, f.area_m2, 0.0) for f in fs),  # type: ignore[arg-type]
            low_m=tuple(np.ascontiguousarray(f.distance_low_m) for f in fs),  # type: ignore[arg-type]
            high_m=tuple(np.ascontiguousarray(f.distance_high_m) for f in fs),  # type: ignore[arg-type]
            electrode_m=electrode,
            far_m=far_conductance_per_kappa(geometry, far_boundary),
            return_m=to_return,
            cannula_m=tuple(per_cannula),
        )

    def evaluate(self, sigma: FloatArray) -> tuple[Conductances3D, FloatArray]:
        """(tissue conductances with the far terms, conductance to the electrode) in S."""
        faces = []
        for axis in range(3):
            low, high = _pair(axis)
            faces.append(
                self.areas[axis] / (self.low_m[axis] / sigma[low] + self.high_m[axis] / sigma[high])
            )
        return (
            Conductances3D(faces=(faces[0], faces[1], faces[2]), dirichlet=self.far_m * sigma),
            self.electrode_m * sigma,
        )


def thermal_conductances(
    geometry: Geometry3D, conductivity: FloatArray, *, insulation_resistance_m2k_per_w: float
) -> Conductances3D:
    """Heat conductances (W/K): the 2D engine's ``_thermal_family`` on each axis."""
    faces = []
    for axis, family in enumerate(geometry.faces):
        low, high = _pair(axis)
        faces.append(
            _thermal_family(
                family, conductivity[low], conductivity[high], insulation_resistance_m2k_per_w, True
            )
        )
    far = far_conductance_per_kappa(geometry, "thermal") * conductivity
    return Conductances3D(faces=(faces[0], faces[1], faces[2]), dirichlet=far)


def assemble(conductances: Conductances3D, extra_diagonal: FloatArray) -> sp.csr_matrix:
    """Sparse matrix of sum_faces G (u_P - u_Q) + (dirichlet + extra) u_P (C order)."""
    shape = conductances.dirichlet.shape
    index = np.arange(int(np.prod(shape))).reshape(shape)
    diagonal = conductances.dirichlet + extra_diagonal
    rows, cols, values = [], [], []
    for axis, g in enumerate(conductances.faces):
        low, high = _pair(axis)
        diagonal[low] += g
        diagonal[high] += g
        i, j, v = index[low].ravel(), index[high].ravel(), -g.ravel()
        rows += [i, j]
        cols += [j, i]
        values += [v, v]
    size = index.size
    rows.append(np.arange(size))
    cols.append(np.arange(size))
    values.append(diagonal.ravel())
    matrix = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size)
    )
    matrix.eliminate_zeros()
    return matrix


def face_power(
    conductances: Conductances3D,
    electrode: FloatArray,
    potential: FloatArray,
    returning: FloatArray | None = None,
) -> FloatArray:
    """Joule heat per cell (W) with the electrode at 1 V: sigma |grad V|^2 dV, by faces.

    Each face's G (dV)^2 is split equally between its cells and an electrode face's
    goes to its tissue cell (as :func:`rhizo.physics.fv.face_power`), so the total
    is the power drawn, I * 1 V, less the power lost through the far boundary. A
    return pole's faces (``returning``, conductances to 0 V) add G V^2.
    """
    power = electrode * (1.0 - potential) ** 2
    if returning is not None:
        power = power + returning * potential**2
    for axis, g in enumerate(conductances.faces):
        low, high = _pair(axis)
        loss = g * (potential[high] - potential[low]) ** 2
        power[low] += 0.5 * loss
        power[high] += 0.5 * loss
    return np.asarray(power)
