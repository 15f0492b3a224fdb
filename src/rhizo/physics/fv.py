"""Finite-volume face conductances for the cannula in tissue.

For a face of area A between cells P and Q at distances d_P and d_Q from it, the
two-point flux is G (u_P - u_Q) with G = A / (d_P/kappa_P + d_Q/kappa_Q) (harmonic
mean of the diffusivities kappa = sigma or k). Where a face crosses the metal
surface, the surface is placed at the zero of the cannula's level set,
interpolated linearly between the two cell centres (Shortley-Weller): it is exact
for the grid-aligned cylinder and second-order accurate on the rounded end.

Electric problem: tissue cells are unknowns; the active metal is a Dirichlet
surface at the electrode potential (conductance A sigma_P / s); the insulated
shaft carries no current. Thermal problem: every cell is an unknown; the metal
conducts heat, and the shaft's insulation adds a series thermal resistance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from rhizo.physics.electrode import ElectrodeShape
from rhizo.physics.grid import AxisymmetricGrid

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class FaceSet:
    """Geometry of one family of interior faces (radial or axial), arrays of face shape."""

    area_m2: FloatArray
    distance_low_m: FloatArray  # centre of the lower-index cell to the face
    distance_high_m: FloatArray
    both_tissue: BoolArray
    both_metal: BoolArray
    interface: BoolArray
    tissue_is_low: BoolArray  # on interfaces: which side is tissue
    tissue_distance_m: FloatArray  # on interfaces: tissue centre to metal surface
    metal_distance_m: FloatArray
    active: BoolArray  # on interfaces: the metal side is the uninsulated tip


@dataclass(frozen=True)
class CannulaGeometry:
    """The grid with the cannula embedded: masks and face sets."""

    grid: AxisymmetricGrid
    electrode: ElectrodeShape
    metal: BoolArray
    radial: FaceSet
    axial: FaceSet

    @property
    def tissue(self) -> BoolArray:
        """Cells whose centre lies in tissue."""
        return ~self.metal

    @classmethod
    def build(cls, grid: AxisymmetricGrid, electrode: ElectrodeShape) -> CannulaGeometry:
        """Classify cells (metal where the level set is negative) and faces."""
        r, z = grid.centres
        level = electrode.level_set(r, z)
        metal = level < 0
        active_cell = metal & electrode.is_active(z)
        dr_half = grid.dr_m / 2
        dz_half = grid.dz_m / 2
        radial = _face_set(
            area=grid.radial_face_area_m2,
            distance_low=np.broadcast_to(dr_half[:-1, None], grid.radial_face_area_m2.shape),
            distance_high=np.broadcast_to(dr_half[1:, None], grid.radial_face_area_m2.shape),
            level_low=level[:-1, :],
            level_high=level[1:, :],
            active_low=active_cell[:-1, :],
            active_high=active_cell[1:, :],
        )
        axial_area = np.broadcast_to(grid.annulus_area_m2[:, None], (r.shape[0], r.shape[1] - 1))
        axial = _face_set(
            area=np.ascontiguousarray(axial_area),
            distance_low=np.broadcast_to(dz_half[None, :-1], axial_area.shape),
            distance_high=np.broadcast_to(dz_half[None, 1:], axial_area.shape),
            level_low=level[:, :-1],
            level_high=level[:, 1:],
            active_low=active_cell[:, :-1],
            active_high=active_cell[:, 1:],
        )
        return cls(grid=grid, electrode=electrode, metal=metal, radial=radial, axial=axial)


def _face_set(
    *,
    area: FloatArray,
    distance_low: FloatArray,
    distance_high: FloatArray,
    level_low: FloatArray,
    level_high: FloatArray,
    active_low: BoolArray,
    active_high: BoolArray,
) -> FaceSet:
    metal_low = level_low < 0
    metal_high = level_high < 0
    interface = metal_low != metal_high
    tissue_is_low = interface & ~metal_low
    span = distance_low + distance_high
    level_tissue = np.where(tissue_is_low, level_low, level_high)
    level_metal = np.where(tissue_is_low, level_high, level_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(interface, level_tissue / (level_tissue - level_metal), 0.5)
    # Keep the surface off the tissue centre: a vanishing distance would give an
    # unbounded conductance (the fraction is a linear interpolation anyway).
    fraction = np.clip(fraction, 0.05, 1.0)
    tissue_distance = fraction * span
    return FaceSet(
        area_m2=np.asarray(area, dtype=np.float64),
        distance_low_m=np.asarray(distance_low, dtype=np.float64),
        distance_high_m=np.asarray(distance_high, dtype=np.float64),
        both_tissue=~metal_low & ~metal_high,
        both_metal=metal_low & metal_high,
        interface=interface,
        tissue_is_low=tissue_is_low,
        tissue_distance_m=tissue_distance,
        metal_distance_m=span - tissue_distance,
        active=interface & np.where(tissue_is_low, active_high, active_low),
    )


def _harmonic(faces: FaceSet, kappa_low: FloatArray, kappa_high: FloatArray) -> FloatArray:
    return faces.area_m2 / (faces.distance_low_m / kappa_low + faces.distance_high_m / kappa_high)


@dataclass(frozen=True)
class Conductances:
    """Interior face conductances plus per-cell boundary terms.

    ``radial`` is [i_r - 1, j_z] (between i and i+1), ``axial`` is [i_r, j_z - 1].
    ``dirichlet`` is the summed conductance from each cell to the fixed-value
    surfaces (electrode or far boundary) it touches, [i_r, j_z].
    """

    radial: FloatArray
    axial: FloatArray
    dirichlet: FloatArray


@dataclass(frozen=True)
class ElectricCoefficients:
    """The potential problem's conductances per unit conductivity (arrays of one backend).

    Every electric conductance is linear in the conductivities it joins: an interior
    face G = A / (d_low/sigma_low + d_high/sigma_high), a tissue cell's conductance to
    the electrode sum(A / s) sigma_P and to the far boundary (Robin or grounded)
    c_far sigma_P. So the geometry factors are computed once per cannula and
    :meth:`evaluate` gives the conductances for any sigma field of shape
    (..., n_r, n_z) by arithmetic only, on NumPy or CuPy arrays alike.
    """

    radial_area_m2: FloatArray  # zero where a face is not between two tissue cells
    radial_low_m: FloatArray
    radial_high_m: FloatArray
    axial_area_m2: FloatArray
    axial_low_m: FloatArray
    axial_high_m: FloatArray
    electrode_m: FloatArray  # per cell: conductance to the active metal / sigma
    far_m: FloatArray  # per cell: conductance to the far boundary / sigma

    @classmethod
    def build(
        cls, geometry: CannulaGeometry, far_boundary: str = "infinite"
    ) -> ElectricCoefficients:
        """Geometry factors of a cannula grid (NumPy arrays)."""
        grid = geometry.grid
        ones = np.ones(grid.shape)
        electrode = np.zeros(grid.shape)
        _add_interface(electrode, geometry.radial, ones, axis=0)
        _add_interface(electrode, geometry.axial, ones, axis=1)
        if far_boundary == "grounded":
            far = np.where(geometry.tissue, thermal_far(grid, ones), 0.0)
        elif far_boundary == "infinite":
            far = _far_electric(geometry, ones)
        else:
            raise ValueError(
                f"far_boundary {far_boundary!r} is not known; allowed: infinite, grounded"
            )
        radial, axial = geometry.radial, geometry.axial
        return cls(
            radial_area_m2=np.where(radial.both_tissue, radial.area_m2, 0.0),
            radial_low_m=np.ascontiguousarray(radial.distance_low_m),
            radial_high_m=np.ascontiguousarray(radial.distance_high_m),
            axial_area_m2=np.where(axial.both_tissue, axial.area_m2, 0.0),
            axial_low_m=np.ascontiguousarray(axial.distance_low_m),
            axial_high_m=np.ascontiguousarray(axial.distance_high_m),
            electrode_m=electrode,
            far_m=far,
        )

    def converted(self, asarray: Callable[[Any], Any]) -> ElectricCoefficients:
        """The same coefficients moved to another array backend (e.g. ``cupy.asarray``)."""
        return ElectricCoefficients(
            **{name: asarray(getattr(self, name)) for name in self.__dataclass_fields__}
        )

    def evaluate(self, sigma: FloatArray) -> tuple[Conductances, FloatArray]:
        """``(far, electrode)`` conductances (S) for sigma of shape (..., n_r, n_z).

        ``far.dirichlet`` is each cell's conductance to the far boundary and
        ``electrode`` its conductance to the active metal; metal cells get zeros.
        """
        radial = self.radial_area_m2 / (
            self.radial_low_m / sigma[..., :-1, :] + self.radial_high_m / sigma[..., 1:, :]
        )
        axial = self.axial_area_m2 / (
            self.axial_low_m / sigma[..., :, :-1] + self.axial_high_m / sigma[..., :, 1:]
        )
        far = Conductances(radial=radial, axial=axial, dirichlet=self.far_m * sigma)
        return far, self.electrode_m * sigma


def electric_conductances(
    geometry: CannulaGeometry,
    sigma: FloatArray,
    *,
    far_boundary: str = "infinite",
) -> tuple[Conductances, FloatArray]:
    """Tissue conductances and, separately, each tissue cell's conductance to the electrode.

    Returns ``(far, electrode)``: ``far.dirichlet`` holds the far-boundary terms (an
    infinite-medium Robin condition, dV/dn = -V cos(angle)/rho, exact for a point
    source) and ``electrode`` the conductance to the active metal, [i_r, j_z].
    The one definition is :class:`ElectricCoefficients`; this builds and evaluates it.
    """
    return ElectricCoefficients.build(geometry, far_boundary).evaluate(sigma)


def _add_interface(target: FloatArray, faces: FaceSet, sigma: FloatArray, *, axis: int) -> None:
    """Add A sigma_tissue / s for every active interface face to its tissue cell."""
    low = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
    high = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
    sigma_tissue = np.where(faces.tissue_is_low, sigma[low], sigma[high])
    conductance = np.where(
        faces.active, faces.area_m2 * sigma_tissue / faces.tissue_distance_m, 0.0
    )
    target[low] += np.where(faces.tissue_is_low, conductance, 0.0)
    target[high] += np.where(faces.tissue_is_low, 0.0, conductance)


def _far_electric(geometry: CannulaGeometry, sigma: FloatArray) -> FloatArray:
    grid = geometry.grid
    far = np.zeros(grid.shape)
    centre_z = -geometry.electrode.tip_length_m / 2
    r_out = grid.r_faces_m[-1]
    # Outer cylinder, normal +r.
    rho = np.hypot(r_out, grid.z_centres_m - centre_z)
    cosine = r_out / rho
    far[-1, :] += _robin(
        grid.outer_radial_face_area_m2, sigma[-1, :], cosine / rho, grid.dr_m[-1] / 2
    )
    # Bottom and top planes, normals -z and +z.
    for j, z_face in ((0, grid.z_faces_m[0]), (-1, grid.z_faces_m[-1])):
        rho_plane = np.hypot(grid.r_centres_m, z_face - centre_z)
        cosine_plane = abs(z_face - centre_z) / rho_plane
        far[:, j] += _robin(
            grid.annulus_area_m2, sigma[:, j], cosine_plane / rho_plane, grid.dz_m[j] / 2
        )
    return np.where(geometry.tissue, far, 0.0)


def _robin(
    area: FloatArray, sigma: FloatArray, curvature: FloatArray, distance: float
) -> FloatArray:
    """Conductance to ground at infinity through a face: sigma A c / (1 + c d)."""
    return sigma * area * curvature / (1.0 + curvature * distance)


def thermal_conductances(
    geometry: CannulaGeometry,
    conductivity: FloatArray,
    *,
    insulation_resistance_m2k_per_w: float,
    metal_conducts: bool = True,
) -> Conductances:
    """Heat conductances; metal cells carry the metal's k (their own diffusivity array).

    ``conductivity`` holds k per cell (metal cells included). The far boundary is
    held at the initial temperature (Dirichlet), far from any lesion. With
    ``metal_conducts=False`` the metal is removed from the heat problem and its
    surface is adiabatic (the assumption of the exact solution B4).
    """
    grid = geometry.grid
    radial = _thermal_family(
        geometry.radial,
        conductivity[:-1, :],
        conductivity[1:, :],
        insulation_resistance_m2k_per_w,
        metal_conducts,
    )
    axial = _thermal_family(
        geometry.axial,
        conductivity[:, :-1],
        conductivity[:, 1:],
        insulation_resistance_m2k_per_w,
        metal_conducts,
    )
    far = thermal_far(grid, conductivity)
    if not metal_conducts:
        far = np.where(geometry.metal, 0.0, far)
    return Conductances(radial=radial, axial=axial, dirichlet=far)


def thermal_far(grid: AxisymmetricGrid, conductivity: FloatArray) -> FloatArray:
    """Conductance of each boundary cell to a fixed value on the far boundary."""
    far = np.zeros(grid.shape)
    far[-1, :] += grid.outer_radial_face_area_m2 * conductivity[-1, :] / (grid.dr_m[-1] / 2)
    far[:, 0] += grid.annulus_area_m2 * conductivity[:, 0] / (grid.dz_m[0] / 2)
    far[:, -1] += grid.annulus_area_m2 * conductivity[:, -1] / (grid.dz_m[-1] / 2)
    return far


def _thermal_family(
    faces: FaceSet,
    k_low: FloatArray,
    k_high: FloatArray,
    insulation: float,
    metal_conducts: bool,
) -> FloatArray:
    plain = _harmonic(faces, k_low, k_high)
    k_tissue = np.where(faces.tissue_is_low, k_low, k_high)
    k_metal = np.where(faces.tissue_is_low, k_high, k_low)
    extra = np.where(faces.active, 0.0, insulation)
    across = faces.area_m2 / (
        faces.tissue_distance_m / k_tissue + faces.metal_distance_m / k_metal + extra
    )
    if not metal_conducts:
        return np.where(faces.both_tissue, plain, 0.0)
    return np.where(faces.interface, across, plain)


def assemble(conductances: Conductances, extra_diagonal: FloatArray) -> sp.csc_matrix:
    """Sparse matrix of sum_faces G (u_P - u_Q) + (dirichlet + extra) u_P, cells in C order."""
    n_r, n_z = conductances.dirichlet.shape
    radial, axial = conductances.radial, conductances.axial
    diagonal = conductances.dirichlet + extra_diagonal
    diagonal[:-1, :] += radial
    diagonal[1:, :] += radial
    diagonal[:, :-1] += axial
    diagonal[:, 1:] += axial
    axial_band = np.zeros((n_r, n_z))
    axial_band[:, :-1] = axial
    axial_off = -axial_band.ravel()[:-1]
    radial_off = -radial.ravel()
    size = n_r * n_z
    offsets = np.array([0, 1, -1, n_z, -n_z])
    bands = [diagonal.ravel(), axial_off, axial_off, radial_off, radial_off]
    rows = np.concatenate([np.arange(size - abs(k)) + max(-k, 0) for k in offsets])
    cols = np.concatenate([np.arange(size - abs(k)) + max(k, 0) for k in offsets])
    return sp.csc_matrix((np.concatenate(bands), (rows, cols)), shape=(size, size))


def face_power(
    conductances: Conductances, electrode: FloatArray, potential: FloatArray
) -> FloatArray:
    """Joule heat per cell (W) for a potential field with the electrode at 1 V.

    Each face's dissipation G (dV)^2 is split equally between its two cells, and an
    electrode face's goes to its tissue cell, so the total equals the power drawn
    from the electrode minus what leaves through the far boundary (exactly, B10).
    Arrays may carry leading batch axes, (..., n_r, n_z), on NumPy or CuPy.
    """
    power = electrode * (1.0 - potential) ** 2
    radial_loss = conductances.radial * (potential[..., 1:, :] - potential[..., :-1, :]) ** 2
    axial_loss = conductances.axial * (potential[..., :, 1:] - potential[..., :, :-1]) ** 2
    power[..., :-1, :] += 0.5 * radial_loss
    power[..., 1:, :] += 0.5 * radial_loss
    power[..., :, :-1] += 0.5 * axial_loss
    power[..., :, 1:] += 0.5 * axial_loss
    return power
