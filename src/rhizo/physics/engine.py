"""The lesion simulation: quasi-static potential, Joule heating, Pennes bioheat, control.

Equations (SI):

    div(sigma(T) grad V) = 0                         electric, quasi-static
    rho c dT/dt = div(k grad T) + sigma |grad V|^2 - W (T - T_a)   Pennes bioheat
    dOmega/dt = A exp(-E_a / (R T))                   Arrhenius damage

on the axisymmetric grid of :mod:`rhizo.physics.grid`, backward Euler in time.
sigma(T) is lagged by one step (the usual "weak coupling", Irastorza's RFA-tutorial):
the potential for the unit electrode voltage is re-solved whenever sigma has
drifted by more than 2 % in any tissue cell since the last solve. Because the
heat source scales with V^2 and the implicit step is linear, the tip temperature
at the end of a step is affine in V^2, which the controller of
:mod:`rhizo.physics.generator` uses to pick V^2.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from rhizo.physics.fv import CannulaGeometry, assemble, electric_conductances, face_power
from rhizo.physics.generator import choose_squared_voltage
from rhizo.physics.grid import AxisymmetricGrid
from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS, LesionDimensions, measure, radius_profile
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.thermal import HeatStepper

FloatArray = NDArray[np.float64]
ProgressCallback = Callable[[float, float], None]

#: Length of metal at the distal end whose mean temperature the thermocouple reads.
THERMOCOUPLE_SPAN_M = 1.0e-3
#: Re-solve the potential when sigma drifted by more than this in any tissue cell.
SIGMA_RESOLVE_TOLERANCE = 0.02


@dataclass(frozen=True)
class GeneratorTraces:
    """What the generator display shows, sampled at the end of every time step."""

    time_s: FloatArray
    set_point_c: FloatArray
    tip_temperature_c: FloatArray
    voltage_v: FloatArray
    current_a: FloatArray
    power_w: FloatArray
    impedance_ohm: FloatArray


@dataclass(frozen=True)
class LesionResult:
    """Lesion dimensions per boundary, final fields and the generator traces."""

    protocol: LesionProtocol
    grid: AxisymmetricGrid
    metal: NDArray[np.bool_]
    temperature_c: FloatArray
    peak_temperature_c: FloatArray
    log10_omega: FloatArray
    unit_potential: FloatArray
    traces: GeneratorTraces
    boundaries: dict[str, LesionDimensions]
    runtime_s: float
    energy_j: float
    diagnostics: dict[str, float] = field(default_factory=dict)

    @property
    def lesion(self) -> LesionDimensions:
        """The default boundary (Arrhenius Omega >= 1)."""
        return self.boundaries["arrhenius"]

    @property
    def max_power_w(self) -> float:
        """Largest power delivered during the run."""
        return float(self.traces.power_w.max())

    @property
    def final_impedance_ohm(self) -> float:
        """Impedance at the end of the run."""
        return float(self.traces.impedance_ohm[-1])

    def boundary_field(self, boundary: str) -> tuple[FloatArray, float]:
        """The cell field and threshold that define a boundary."""
        fields = _boundary_fields(self.log10_omega, self.peak_temperature_c)
        if boundary not in fields:
            allowed = ", ".join(BOUNDARY_DESCRIPTIONS)
            raise KeyError(f"unknown boundary {boundary!r}; allowed: {allowed}")
        return fields[boundary]

    def radius_profile_m(self, boundary: str = "arrhenius") -> tuple[FloatArray, FloatArray]:
        """(z of each grid row, outer lesion radius there) in metres; radius 0 = no lesion.

        z runs along the cannula, distally positive, z = 0 at the metal's end; the
        active tip spans -L..0. The lesion is the solid of revolution of this profile.
        """
        values, threshold = self.boundary_field(boundary)
        return self.grid.z_centres_m.copy(), radius_profile(
            self.grid, values, threshold, self.metal
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (inputs, default-boundary dimensions, all boundaries)."""
        lesion = self.lesion
        tissue = self.protocol.tissue
        return {
            "inputs": {
                "gauge": self.protocol.gauge,
                "tip_length_mm": self.protocol.tip_length_mm,
                "tip_kind": self.protocol.tip_kind,
                "set_temperature_c": self.protocol.set_temperature_c,
                "duration_s": self.protocol.duration_s,
                "ramp_s": self.protocol.ramp_s,
                "tissue": tissue.name,
                "initial_temperature_c": tissue.initial_temperature_c,
            },
            "boundary": lesion.boundary,
            "width_mm": lesion.width_mm,
            "length_mm": lesion.length_mm,
            "distal_extension_mm": lesion.distal_extension_mm,
            "proximal_extension_mm": lesion.proximal_extension_mm,
            "volume_mm3": lesion.volume_mm3,
            "boundaries": {name: dims.model_dump() for name, dims in self.boundaries.items()},
            "max_power_w": self.max_power_w,
            "final_impedance_ohm": self.final_impedance_ohm,
            "final_tip_temperature_c": float(self.traces.tip_temperature_c[-1]),
            "energy_j": self.energy_j,
            "runtime_s": self.runtime_s,
        }


class _PotentialSolver:
    """Unit-voltage potential with sigma(T); refactorises only when sigma drifts."""

    def __init__(self, geometry: CannulaGeometry, *, far_boundary: str) -> None:
        self.geometry = geometry
        self.far_boundary = far_boundary
        self.tissue_index = np.flatnonzero(geometry.tissue.ravel())
        self.sigma_used: FloatArray | None = None
        self.potential = np.zeros(geometry.grid.shape)
        self.heat_per_v2 = np.zeros(geometry.grid.shape)
        self.conductance_s = 0.0
        self.solves = 0
        self.factorisations = 0
        self.cg_iterations = 0
        self.factor: spla.SuperLU | None = None

    def needs_update(self, sigma: FloatArray) -> bool:
        if self.sigma_used is None:
            return True
        drift = np.abs(sigma / self.sigma_used - 1.0)
        return bool(np.max(drift[self.geometry.tissue]) > SIGMA_RESOLVE_TOLERANCE)

    def solve(self, sigma: FloatArray) -> None:
        geometry = self.geometry
        far, electrode = electric_conductances(geometry, sigma, far_boundary=self.far_boundary)
        index = self.tissue_index
        reduced = assemble(far, electrode).tocsr()[index][:, index]
        rhs = electrode.ravel()[index]
        previous = self.potential.ravel()[index]
        solution = None
        if self.factor is not None:
            # Preconditioned CG with the last factorisation: sigma moved only a few
            # per cent, so a handful of iterations beat a new factorisation.
            preconditioner = spla.LinearOperator(
                reduced.shape, matvec=self.factor.solve, dtype=np.float64
            )
            iterations = 0

            def count(_: FloatArray) -> None:
                nonlocal iterations
                iterations += 1

            candidate, info = spla.cg(
                reduced,
                rhs,
                x0=previous,
                M=preconditioner,
                rtol=1e-8,
                maxiter=12,
                callback=count,
            )
            if info == 0:
                solution = candidate
                self.cg_iterations += iterations
        if solution is None:
            self.factor = spla.splu(reduced.tocsc(), permc_spec="MMD_AT_PLUS_A")
            self.factorisations += 1
            solution = self.factor.solve(rhs)
        flat_potential = np.zeros(geometry.grid.size)
        flat_potential[index] = solution
        potential = flat_potential.reshape(geometry.grid.shape)
        tissue_potential = potential.copy()
        potential[geometry.metal] = 1.0  # for plotting; shaft metal is floating at V too
        self.potential = potential
        self.heat_per_v2 = face_power(far, electrode, tissue_potential)
        self.conductance_s = float(np.sum(electrode * (1.0 - tissue_potential)))
        self.sigma_used = sigma
        self.solves += 1


def _boundary_fields(
    log10_omega: FloatArray, peak_temperature_c: FloatArray
) -> dict[str, tuple[FloatArray, float]]:
    """Each lesion boundary as (cell field, threshold): Omega >= 1, peak >= 50 C, >= 45 C."""
    return {
        "arrhenius": (log10_omega, 0.0),
        "isotherm_50c": (peak_temperature_c, 50.0),
        "isotherm_45c": (peak_temperature_c, 45.0),
    }


_TRACE_KEYS = (
    "time_s",
    "set_point_c",
    "tip_temperature_c",
    "voltage_v",
    "current_a",
    "power_w",
    "impedance_ohm",
)


def _thermocouple(
    protocol: LesionProtocol, geometry: CannulaGeometry, heat: HeatStepper
) -> tuple[NDArray[np.intp], FloatArray]:
    """Free-cell indices and weights whose weighted mean is the thermocouple reading.

    With conducting metal: the heat-capacity-weighted mean of the distal metal
    (THERMOCOUPLE_SPAN_M). With adiabatic metal (B4): the tissue touching the active
    tip, weighted by its electrical conductance to it.
    """
    electrode = protocol.electrode
    if protocol.metal_conducts_heat:
        _, z_centres = geometry.grid.centres
        sensor = geometry.metal & (z_centres >= -min(THERMOCOUPLE_SPAN_M, electrode.tip_length_m))
        weights = np.where(sensor, heat.heat_capacity_j_per_k, 0.0)
    else:
        _, weights = electric_conductances(
            geometry, np.full(geometry.grid.shape, protocol.tissue.electrical_conductivity_s_per_m)
        )
    free_weights = weights.ravel()[heat.free_index]
    index = np.flatnonzero(free_weights)
    return index, free_weights[index] / free_weights[index].sum()


def build_model(protocol: LesionProtocol) -> tuple[AxisymmetricGrid, CannulaGeometry, HeatStepper]:
    """The grid, the cannula in it and the backward-Euler heat stepper of a protocol."""
    electrode = protocol.electrode
    tissue = protocol.tissue
    grid = AxisymmetricGrid.for_cannula(
        metal_radius_m=electrode.radius_m,
        tip_length_m=electrode.tip_length_m,
        settings=protocol.grid,
    )
    geometry = CannulaGeometry.build(grid, electrode)
    metal = geometry.metal
    metal_props = electrode.metal
    heat = HeatStepper(
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
        time_step_s=protocol.grid.time_step_s,
        far_temperature_c=tissue.initial_temperature_c,
        arterial_temperature_c=tissue.arterial_temperature_c,
        insulation_resistance_m2k_per_w=electrode.insulation_thermal_resistance_m2k_per_w,
        metal_conducts=protocol.metal_conducts_heat,
    )
    return grid, geometry, heat


def lesion_boundaries(
    protocol: LesionProtocol, geometry: CannulaGeometry, omega: FloatArray, peak: FloatArray
) -> tuple[FloatArray, FloatArray, dict[str, LesionDimensions]]:
    """(log10 Omega, peak temperature, dimensions per boundary), metal cells masked out."""
    tissue_cells = geometry.tissue
    omega = np.where(tissue_cells, omega, 0.0)
    with np.errstate(divide="ignore"):
        log10_omega = np.where(omega > 0, np.log10(np.maximum(omega, 1e-300)), -300.0)
    peak = np.where(tissue_cells, peak, protocol.tissue.initial_temperature_c)
    boundaries = {
        name: measure(
            boundary=name,
            grid=geometry.grid,
            field=field_values,
            threshold=threshold,
            metal=geometry.metal,
            tip_length_m=protocol.electrode.tip_length_m,
        )
        for name, (field_values, threshold) in _boundary_fields(log10_omega, peak).items()
    }
    return log10_omega, peak, boundaries


def simulate(
    protocol: LesionProtocol,
    *,
    progress: ProgressCallback | None = None,
) -> LesionResult:
    """Simulate one temperature-controlled RF lesion.

    Parameters
    ----------
    protocol
        Cannula, tissue, generator program and numerical settings.
    progress
        Optional ``progress(simulated_s, total_s)`` callback, called every step.

    Returns
    -------
    LesionResult
        Dimensions for each boundary, fields and generator traces.
    """
    started = time.perf_counter()
    generator = protocol.generator
    tissue = protocol.tissue
    grid, geometry, heat = build_model(protocol)
    metal = geometry.metal
    dt = protocol.grid.time_step_s
    t_initial = tissue.initial_temperature_c
    sensor_index, sensor_weights = _thermocouple(protocol, geometry, heat)

    def tip_reading(free_values: FloatArray) -> float:
        return float(sensor_weights @ free_values[sensor_index])

    temperature = np.full(grid.shape, t_initial)
    peak = temperature.copy()
    omega = np.zeros(grid.shape)
    rate_old = protocol.damage.rate_per_s(temperature)
    potential_solver = _PotentialSolver(geometry, far_boundary=protocol.grid.electric_far_boundary)

    steps = max(1, int(np.ceil(generator.total_time_s / dt - 1e-9)))
    samples: dict[str, list[float]] = {key: [] for key in _TRACE_KEYS}
    energy = {"electrical": 0.0, "joule": 0.0, "boundary": 0.0, "perfusion": 0.0}
    heat_response = np.zeros(heat.free_index.size)
    response_sigma: FloatArray | None = None
    for step in range(1, steps + 1):
        now = step * dt
        sigma = tissue.electrical_conductivity(temperature)
        if potential_solver.needs_update(sigma):
            potential_solver.solve(sigma)
        if response_sigma is not potential_solver.sigma_used:
            heat_response = heat.solve(heat.source_rhs(potential_solver.heat_per_v2))
            response_sigma = potential_solver.sigma_used
        base = heat.solve(heat.base_rhs(temperature))
        reference = generator.reference_temperature_c(now, t_initial)
        conductance = potential_solver.conductance_s
        squared_voltage = choose_squared_voltage(
            tip_base_c=tip_reading(base),
            tip_gain_c_per_v2=tip_reading(heat_response),
            reference_c=reference,
            unit_conductance_s=conductance,
            settings=generator,
        )
        new = heat.expand(base + squared_voltage * heat_response, temperature)

        rate_new = protocol.damage.rate_per_s(new)
        omega += 0.5 * dt * (rate_old + rate_new)
        rate_old = rate_new
        np.maximum(peak, new, out=peak)
        temperature = new

        tissue_resistance = 1.0 / conductance
        total_resistance = tissue_resistance + generator.series_resistance_ohm
        current = float(np.sqrt(squared_voltage)) / tissue_resistance
        power = current**2 * total_resistance
        boundary_loss, perfusion_loss = heat.boundary_and_perfusion_loss_w(new)
        energy["electrical"] += current**2 * tissue_resistance * dt
        energy["joule"] += squared_voltage * float(potential_solver.heat_per_v2.sum()) * dt
        energy["boundary"] += boundary_loss * dt
        energy["perfusion"] += perfusion_loss * dt
        for key, value in zip(
            _TRACE_KEYS,
            (
                now,
                reference,
                tip_reading(new.ravel()[heat.free_index]),
                current * total_resistance,
                current,
                power,
                total_resistance,
            ),
            strict=True,
        ):
            samples[key].append(value)
        if progress is not None:
            progress(now, steps * dt)

    free_cells = heat.free_index
    stored = float(
        np.sum(
            heat.heat_capacity_j_per_k.ravel()[free_cells]
            * (temperature.ravel()[free_cells] - t_initial)
        )
    )
    log10_omega, peak, boundaries = lesion_boundaries(protocol, geometry, omega, peak)
    traces = GeneratorTraces(**{key: np.asarray(values) for key, values in samples.items()})
    return LesionResult(
        protocol=protocol,
        grid=grid,
        metal=metal,
        temperature_c=temperature,
        peak_temperature_c=peak,
        log10_omega=log10_omega,
        unit_potential=potential_solver.potential,
        traces=traces,
        boundaries=boundaries,
        runtime_s=time.perf_counter() - started,
        energy_j=energy["electrical"],
        diagnostics={
            "electrical_energy_j": energy["electrical"],
            "joule_energy_in_grid_j": energy["joule"],
            "stored_energy_j": stored,
            "boundary_loss_j": energy["boundary"],
            "perfusion_loss_j": energy["perfusion"],
            "cells": float(grid.size),
            "steps": float(steps),
            "potential_solves": float(potential_solver.solves),
            "potential_factorisations": float(potential_solver.factorisations),
            "potential_cg_iterations": float(potential_solver.cg_iterations),
        },
    )
