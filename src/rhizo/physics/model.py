"""The per-cannula setup of a lesion run, built once and cached.

Everything that depends only on the cannula, the tissue and the grid (not on the
generator program) is built here and kept in a small least-recently-used cache,
so a sweep, the web planner or a benchmark pays it once per cannula:

- the grid, the cannula in it and the electric coefficients (fv);
- the heat stepper and its factorisation, one per effective step length (BDF2's
  step length and step ratio; a run uses about eight);
- the factorised potential operator at the starting conductivity, the potential
  solver's preconditioner, and the potential at that conductivity (every run's first).

Cached objects are read-only once built; the cache is guarded by a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.backend import Backend
from rhizo.physics.blocksolve import solver
from rhizo.physics.fv import CannulaGeometry, ElectricCoefficients, assemble
from rhizo.physics.grid import AxisymmetricGrid
from rhizo.physics.potential import PotentialSolution, PotentialSolver
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.thermal import HeatStepper

FloatArray = NDArray[np.float64]

#: Protocol fields that define the model (and so must be equal within a batch).
MODEL_FIELDS = ("gauge", "tip_length_mm", "tip_kind", "tissue", "metal", "metal_conducts_heat")
#: Cannula/tissue/grid combinations kept: each holds a few MB per step length (SuperLU
#: factors, about 3 MB; plus a 3 MB block solver once a batch of 16 or more used it).
CACHE_SIZE = 8
#: Effective step lengths whose heat factorisations a model keeps (least recently used
#: go): a 90 s BDF2 program uses 8 (the step lengths and ratios of its schedule), a
#: sweep of durations a few more for its last steps; 3 MB each at the default grid.
HEAT_CACHE_SIZE = 12


def model_key(protocol: LesionProtocol) -> str:
    """What identifies a model: the cannula, the tissue and the grid's spatial settings."""
    spatial = protocol.grid.model_dump(
        exclude={"time_step_s", "hold_time_step_s", "max_time_step_s", "time_step_growth"}
    )
    return repr((tuple((name, getattr(protocol, name)) for name in MODEL_FIELDS), spatial))


class LesionModel:
    """Grid, geometry, heat steppers per time step and potential solvers per backend."""

    def __init__(self, protocol: LesionProtocol) -> None:
        electrode = protocol.electrode
        tissue = protocol.tissue
        self.protocol = protocol
        self.grid = AxisymmetricGrid.for_cannula(
            metal_radius_m=electrode.radius_m,
            tip_length_m=electrode.tip_length_m,
            settings=protocol.grid,
        )
        self.geometry = CannulaGeometry.build(self.grid, electrode)
        self.coefficients = ElectricCoefficients.build(
            self.geometry, protocol.grid.electric_far_boundary
        )
        self.metal_fraction = self.geometry.metal.astype(np.float64)
        self.sigma_start = tissue.electrical_conductivity(
            np.full(self.grid.shape, tissue.initial_temperature_c)
        )
        self._lock = threading.Lock()
        self._heat: OrderedDict[float, HeatStepper] = OrderedDict()
        self._heat_solvers: OrderedDict[tuple[str, float], Callable[[Any], Any]] = OrderedDict()
        self._potential: dict[str, PotentialSolver] = {}
        self._initial: dict[str, PotentialSolution] = {}
        self._adjoints: OrderedDict[tuple[str, float, bytes], Any] = OrderedDict()

    def heat(self, time_step_s: float) -> HeatStepper:
        """The backward-Euler stepper for one step length (built on first use)."""
        key = round(time_step_s, 12)
        with self._lock:
            if key not in self._heat:
                self._heat[key] = _heat_stepper(self.protocol, self.geometry, time_step_s)
                while len(self._heat) > HEAT_CACHE_SIZE:
                    self._heat.popitem(last=False)
            self._heat.move_to_end(key)
            return self._heat[key]

    def heat_solver(self, backend: Backend, time_step_s: float) -> Callable[[Any], Any]:
        """Solve with the heat matrix of a step length on a backend: rhs (free cells, k)."""
        stepper = self.heat(time_step_s)
        key = (backend.name, round(time_step_s, 12))
        with self._lock:
            if key not in self._heat_solvers:
                if backend.name == "numpy":
                    all_free = stepper.free_index.size == self.grid.size
                    self._heat_solvers[key] = (
                        solver(stepper.free_matrix, self.grid.shape)
                        if all_free
                        else solver(stepper.free_matrix, factor=stepper.factor)
                    )
                else:
                    self._heat_solvers[key] = backend.factorise(stepper.free_matrix)
                while len(self._heat_solvers) > HEAT_CACHE_SIZE:
                    self._heat_solvers.popitem(last=False)
            self._heat_solvers.move_to_end(key)
            return self._heat_solvers[key]

    def sensor_adjoint(
        self,
        backend: Backend,
        time_step_s: float,
        index: NDArray[np.intp],
        weights: FloatArray,
    ) -> Any:
        """g = A^-1 w for the heat matrix A of a step length and a sensor w (free cells).

        w is zero but at the free cells ``index``, where it is ``weights``. A is
        symmetric, so the sensor's reading of A^-1 b is g . b for any b: one solve
        per step length instead of one per right-hand side (engine's controller).
        """
        key = (
            backend.name,
            round(time_step_s, 12),
            index.tobytes() + np.ascontiguousarray(weights).tobytes(),
        )
        with self._lock:
            found = self._adjoints.get(key)
            if found is not None:
                self._adjoints.move_to_end(key)
                return found
        solve = self.heat_solver(backend, time_step_s)
        sensor = np.zeros(self.heat(time_step_s).free_index.size)
        sensor[index] = weights
        adjoint = solve(backend.asarray(sensor)[:, None])[:, 0]
        with self._lock:
            self._adjoints[key] = adjoint
            while len(self._adjoints) > HEAT_CACHE_SIZE:
                self._adjoints.popitem(last=False)
        return adjoint

    def potential(self, backend: Backend) -> PotentialSolver:
        """The potential solver on a backend, preconditioned at the starting sigma."""
        with self._lock:
            if backend.name not in self._potential:
                far, electrode = self.coefficients.evaluate(self.sigma_start)
                start = assemble(far, electrode + self.metal_fraction)
                a = backend.asarray
                self._potential[backend.name] = PotentialSolver(
                    xp=backend.xp,
                    coefficients=self.coefficients.converted(a),
                    metal=a(self.metal_fraction),
                    sigma_start=a(self.sigma_start),
                    start_solve=(
                        solver(start, self.grid.shape)
                        if backend.name == "numpy"
                        else backend.factorise(start)
                    ),
                    check_every=1 if backend.name == "numpy" else 2,
                )
            return self._potential[backend.name]

    def initial_potential(self, backend: Backend) -> PotentialSolution:
        """The potential of one lesion at the starting sigma (uniform temperature).

        Every run of this model starts from it, so it is solved once (from zero, one
        preconditioned CG iteration: the preconditioner is exact there) and kept.
        """
        with self._lock:
            found = self._initial.get(backend.name)
        if found is None:
            sigma = backend.asarray(self.sigma_start)[None]
            found = self.potential(backend).solve(sigma, backend.xp.zeros_like(sigma))
            with self._lock:
                self._initial[backend.name] = found
        return found


def _heat_stepper(
    protocol: LesionProtocol, geometry: CannulaGeometry, time_step_s: float
) -> HeatStepper:
    electrode = protocol.electrode
    tissue = protocol.tissue
    metal = geometry.metal
    metal_props = electrode.metal
    return HeatStepper(
        geometry,
        conductivity_w_per_m_k=np.where(
            metal, metal_props.thermal_conductivity_w_per_m_k, tissue.thermal_conductivity_w_per_m_k
        ),
        volumetric_heat_capacity_j_per_m3_k=np.where(
            metal,
            metal_props.density_kg_per_m3 * metal_props.specific_heat_j_per_kg_k,
            tissue.volumetric_heat_capacity_j_per_m3_k,
        ),
        perfusion_w_per_m3_k=np.where(
            geometry.tissue, tissue.perfusion_coefficient_w_per_m3_k, 0.0
        ),
        time_step_s=time_step_s,
        far_temperature_c=tissue.initial_temperature_c,
        arterial_temperature_c=tissue.arterial_temperature_c,
        insulation_resistance_m2k_per_w=electrode.insulation_thermal_resistance_m2k_per_w,
        metal_conducts=protocol.metal_conducts_heat,
    )


_CACHE: OrderedDict[str, LesionModel] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def lesion_model(protocol: LesionProtocol) -> LesionModel:
    """The cached model of a protocol's cannula, tissue and grid (built on a miss)."""
    key = model_key(protocol)
    with _CACHE_LOCK:
        model = _CACHE.get(key)
        if model is not None:
            _CACHE.move_to_end(key)
            return model
    model = LesionModel(protocol)
    with _CACHE_LOCK:
        _CACHE[key] = model
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return model


def clear_cache() -> None:
    """Forget every cached model (tests that patch the physics call this)."""
    with _CACHE_LOCK:
        _CACHE.clear()
