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
active tip's centre (exact outside a sphere electrode). Heat: every cell is an
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
from rhizo.physics.three_d.geometry3d import CannulaPose
from rhizo.physics.three_d.grid3d import CartesianGrid

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
FarBoundary = Literal["infinite", "grounded"]


def _pair(axis: int) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Index of the lower and higher cell of each interior face normal to ``axis``."""
    low = [slice(None)] * 3
    high = [slice(None)] * 3
    low[axis] = slice(None, -1)
    high[axis] = slice(1, None)
    return tuple(low), tuple(high)


@dataclass(frozen=True)
class Geometry3D:
    """The grid with the cannula in it: the metal mask and one face set per axis."""

    grid: CartesianGrid
    pose: CannulaPose
    metal: BoolArray
    active: BoolArray
    faces: tuple[FaceSet, FaceSet, FaceSet]

    @property
    def tissue(self) -> BoolArray:
        """Cells whose centre is not in metal (tissue or bone)."""
        return ~self.metal

    @classmethod
    def build(cls, grid: CartesianGrid, pose: CannulaPose) -> Geometry3D:
        """Classify cells (metal where the level set is negative) and faces per axis."""
        x, y, z = grid.mesh_m
        level = pose.level_set(x, y, z)
        metal = level < 0
        active = metal & pose.is_active(x, y, z)
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
                    active_low=active[low],
                    active_high=active[high],
                )
            )
        return cls(
            grid=grid,
            pose=pose,
            metal=metal,
            active=active,
            faces=(families[0], families[1], families[2]),
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


def far_conductance_per_kappa(
    geometry: Geometry3D, boundary: FarBoundary | Literal["thermal"]
) -> FloatArray:
    """Each cell's conductance to the far boundary divided by its kappa (m).

    grounded / thermal: A / (h/2) (value fixed on the face); infinite: the Robin
    term A c / (1 + c h/2) with c = cos(angle)/rho, rho from the active tip's centre
    to the face centre (the 2D engine's ``_robin``). Metal cells get 0 electrically.
    """
    grid = geometry.grid
    far = np.zeros(grid.shape)
    pose = geometry.pose
    length = pose.electrode.tip_length_m
    centre = np.asarray(pose.tip_m) - 0.5 * length * np.asarray(pose.direction)
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

    @classmethod
    def build(cls, geometry: Geometry3D, far_boundary: FarBoundary) -> ElectricCoefficients3D:
        """Factors per face and cell (NumPy arrays)."""
        electrode = np.zeros(geometry.grid.shape)
        for axis, faces in enumerate(geometry.faces):
            low, high = _pair(axis)
            conductance = np.where(faces.active, faces.area_m2 / faces.tissue_distance_m, 0.0)
            electrode[low] += np.where(faces.tissue_is_low, conductance, 0.0)
            electrode[high] += np.where(faces.tissue_is_low, 0.0, conductance)
        fs = geometry.faces
        return cls(
            areas=tuple(np.where(f.both_tissue, f.area_m2, 0.0) for f in fs),  # type: ignore[arg-type]
            low_m=tuple(np.ascontiguousarray(f.distance_low_m) for f in fs),  # type: ignore[arg-type]
            high_m=tuple(np.ascontiguousarray(f.distance_high_m) for f in fs),  # type: ignore[arg-type]
            electrode_m=electrode,
            far_m=far_conductance_per_kappa(geometry, far_boundary),
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
    conductances: Conductances3D, electrode: FloatArray, potential: FloatArray
) -> FloatArray:
    """Joule heat per cell (W) with the electrode at 1 V: sigma |grad V|^2 dV, by faces.

    Each face's G (dV)^2 is split equally between its cells and an electrode face's
    goes to its tissue cell (as :func:`rhizo.physics.fv.face_power`), so the total
    is the power drawn, I * 1 V, less G_far V^2 lost through the far boundary.
    """
    power = electrode * (1.0 - potential) ** 2
    for axis, g in enumerate(conductances.faces):
        low, high = _pair(axis)
        loss = g * (potential[high] - potential[low]) ** 2
        power[low] += 0.5 * loss
        power[high] += 0.5 * loss
    return np.asarray(power)
