"""The 3D lesion time loop: the axisymmetric engine's physics on a Cartesian grid.

Equations (SI), as :mod:`rhizo.physics.engine`:

    div(sigma(T) grad V) = 0,
    rho c dT/dt = div(k grad T) + sigma |grad V|^2 - W f(Omega) (T - T_a),
    dOmega/dt = A exp(-E_a / (R T))  per tissue.

Each piece is the 2D engine's own definition, called here: sigma(T), k, rho c, W and
the perfusion fraction f(Omega) from each cell's :class:`rhizo.physics.tissue.Tissue`;
the time steps (:func:`rhizo.physics.grid.step_end_times`), variable-step BDF2
(:func:`rhizo.physics.engine.bdf2_coefficients`, restart beyond MAX_STEP_RATIO), the
lagged sigma with re-solve past SIGMA_RESOLVE_TOLERANCE, the thermocouple (the
heat-capacity-weighted mean of the distal THERMOCOUPLE_SPAN_M of metal), the model-
predictive generator (:func:`rhizo.physics.generator.choose_squared_voltage`: the
tip temperature at the step's end is affine in V^2, a + b V^2, found here from two
heat solves A x0 = rhs, A x1 = q), and the damage step
(:func:`rhizo.physics.damage.step_increment`).

Several cannulae (bipolar, or several active tips): each has its own thermocouple
(its own distal span of metal) and the generator holds the hottest tip at the set
temperature: with each tip affine in V^2, T_k = a_k + b_k V^2, the step's V^2 is the
smallest of :func:`choose_squared_voltage` over the tips (the limits then apply to the
one output). RECALLED, not read in a manual: bipolar RF generators for pain (e.g.
NeuroTherm NT1100, Abbott/Boston Scientific) read both probes' thermocouples and
regulate so that neither exceeds the set temperature; controlling on the hotter tip
is that rule. Traces per cannula: ``tip_temperature_c_<name>`` and ``current_a_<name>``.

Sequential lesions (:func:`simulate_sequential`): a run may start from the temperature
and accumulated Omega another left (``initial``), with an optional cooling interval at
zero power between; Omega is then the total.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.damage import step_increment
from rhizo.physics.engine import (
    MAX_STEP_RATIO,
    SIGMA_RESOLVE_TOLERANCE,
    THERMOCOUPLE_SPAN_M,
    bdf2_coefficients,
)
from rhizo.physics.generator import choose_squared_voltage
from rhizo.physics.grid import step_end_times
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.cooling3d import InternalCooling
from rhizo.physics.three_d.fv3d import FarBoundary, Geometry3D
from rhizo.physics.three_d.geometry3d import Scene
from rhizo.physics.three_d.heat3d import HeatStepper3D
from rhizo.physics.three_d.measure3d import Lesion3DDimensions, measure_lesion
from rhizo.physics.three_d.potential3d import Potential3D, PotentialSolver3D

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Tissue3DState:
    """What a lesion leaves in the tissue: temperature, accumulated Omega, peak (cells)."""

    temperature_c: FloatArray
    omega: FloatArray
    peak_temperature_c: FloatArray


@dataclass(frozen=True)
class Lesion3DResult:
    """A 3D run: lesion size, fields at the end, generator traces and diagnostics."""

    lesion: Lesion3DDimensions
    temperature_c: FloatArray
    peak_temperature_c: FloatArray
    log10_omega: FloatArray
    traces: dict[str, FloatArray]
    diagnostics: dict[str, float] = field(default_factory=dict)
    #: Accumulated Omega per cell (the total when the run started from another's).
    omega: FloatArray | None = None

    @property
    def state(self) -> Tissue3DState:
        """The tissue at the end, to start a following lesion from."""
        omega = self.omega if self.omega is not None else np.power(10.0, self.log10_omega)
        return Tissue3DState(
            temperature_c=self.temperature_c,
            omega=omega,
            peak_temperature_c=self.peak_temperature_c,
        )


def _tissue_fields(
    scene: Scene, geometry: Geometry3D, protocol: LesionProtocol
) -> dict[str, FloatArray]:
    """k, rho c and W per cell: each tissue's own, the cannula's metal where metal."""
    metal = geometry.metal
    props = protocol.electrode.metal
    tissues = scene.tissues
    k = scene.per_cell(tuple(t.thermal_conductivity_w_per_m_k for t in tissues))
    rho_c = scene.per_cell(tuple(t.volumetric_heat_capacity_j_per_m3_k for t in tissues))
    w = scene.per_cell(tuple(t.perfusion_coefficient_w_per_m3_k for t in tissues))
    return {
        "k": np.where(metal, props.thermal_conductivity_w_per_m_k, k),
        "rho_c": np.where(metal, props.density_kg_per_m3 * props.specific_heat_j_per_kg_k, rho_c),
        "w": np.where(metal, 0.0, w),
    }


def _perfusion_fraction(scene: Scene, omega: FloatArray) -> FloatArray:
    """f(Omega) per cell from each cell's own tissue's perfusion model."""
    fraction = np.ones_like(omega)
    for index, tissue in enumerate(scene.tissues):
        where = scene.labels == index
        fraction[where] = tissue.perfusion_fraction(omega[where])
    return fraction


def _log_rate(scene: Scene, protocol: LesionProtocol, temperature: FloatArray) -> FloatArray:
    """ln dOmega/dt per cell: the protocol's damage model in the surrounding tissue,
    each further tissue's own model in its cells."""
    out = protocol.damage.log_rate(temperature)
    for index, tissue in enumerate(scene.tissues[1:], start=1):
        where = scene.labels == index
        out[where] = tissue.damage.log_rate(temperature[where])
    return np.asarray(out)


def _thermocouples(
    scene: Scene, geometry: Geometry3D, heat_capacity_j_per_k: FloatArray
) -> list[FloatArray]:
    """Per cannula: weights (summing to 1) of the heat-capacity-weighted mean of the
    metal within THERMOCOUPLE_SPAN_M of its apex (its own cannula's metal, not tines)."""
    x, y, z = scene.grid.mesh_m
    owner = geometry.owner_cells
    out = []
    for number, cannula in enumerate(geometry.electrodes):
        _, along = cannula.pose.local(x, y, z)
        span = min(THERMOCOUPLE_SPAN_M, cannula.pose.electrode.tip_length_m)
        body = geometry.metal & (owner == number)
        if cannula.tines is not None:  # the thermocouple sits in the cannula, not a tine
            body &= cannula.pose.level_set(x, y, z) < 0
        sensor = (body & (along >= -span)).ravel()
        if not sensor.any():
            raise ValueError(
                f"no metal cell in cannula {number + 1}'s thermocouple span: "
                "refine the grid near the tip"
            )
        weights = heat_capacity_j_per_k.ravel() * sensor
        out.append(weights / weights.sum())
    return out


def simulate3d(
    protocol: LesionProtocol,
    scene: Scene,
    *,
    far_boundary: FarBoundary = "infinite",
    initial: Tissue3DState | None = None,
    cooling: InternalCooling | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Lesion3DResult:
    """One temperature-controlled lesion in 3D (cannulae, tissues and grid from ``scene``).

    ``protocol`` gives the cannula (its electrode must be ``scene.pose.electrode``),
    the generator program, the damage model of the surrounding tissue and the time
    steps (its ``grid`` settings' time fields); ``scene.tissues[0]`` must be its tissue.
    ``scene.cannulae`` (if any) are the cannulae with their roles; a bipolar pair is
    usually run with ``far_boundary="insulating"`` or ``"infinite"`` (no pad).
    ``initial`` starts from the tissue another lesion left (its Omega is added to).
    ``cooling``: an internally cooled tip (its coolant as an implicit heat sink in the
    active metal, :mod:`rhizo.physics.three_d.cooling3d`). ``progress`` is called after
    every step with (fraction of the run's time done, elapsed wall seconds).
    """
    if scene.tissues[0] != protocol.tissue:
        raise ValueError(
            f"scene tissue {scene.tissues[0].name!r} != protocol tissue {protocol.tissue.name!r}"
        )
    started = time.perf_counter()
    geometry = Geometry3D.build(scene.grid, scene.pose, scene.cannulae or None)
    fields = _tissue_fields(scene, geometry, protocol)
    tissue = protocol.tissue
    t0 = tissue.initial_temperature_c
    heat = HeatStepper3D(
        geometry,
        conductivity_w_per_m_k=fields["k"],
        volumetric_heat_capacity_j_per_m3_k=fields["rho_c"],
        perfusion_w_per_m3_k=fields["w"],
        far_temperature_c=t0,
        arterial_temperature_c=tissue.arterial_temperature_c,
        insulation_resistance_m2k_per_w=protocol.electrode.insulation_thermal_resistance_m2k_per_w,
        sink_w_per_k=(
            None
            if cooling is None
            else cooling.sink_w_per_k(geometry, protocol.electrode.tip_length_m)
        ),
        coolant_temperature_c=0.0 if cooling is None else cooling.coolant_temperature_c,
    )
    potential_solver = PotentialSolver3D(geometry, far_boundary)
    generator = protocol.generator
    schedule = step_end_times(
        ramp_s=generator.ramp_s, total_s=generator.total_time_s, settings=protocol.grid
    )
    # Thermocouple per cannula: the heat-capacity-weighted mean of its distal metal.
    sensors = _thermocouples(scene, geometry, heat.heat_capacity_j_per_k)

    shape = scene.grid.shape
    if initial is None:
        temperature = np.full(shape, t0)
        peak = temperature.copy()
        omega = np.zeros(shape)
    else:
        for name in ("temperature_c", "omega", "peak_temperature_c"):
            if getattr(initial, name).shape != shape:
                raise ValueError(
                    f"initial {name} shape {getattr(initial, name).shape} != grid {shape}"
                )
        temperature = np.array(initial.temperature_c, dtype=np.float64)
        peak = np.maximum(initial.peak_temperature_c, temperature)
        omega = np.array(initial.omega, dtype=np.float64)
    previous = temperature.copy()
    log_rate_old = _log_rate(scene, protocol, temperature)
    perfused = bool(np.any(heat.perfusion_w_per_k > 0))
    explicit_old = np.zeros(shape)
    sigma_used = scene.conductivity(temperature)
    solution: Potential3D = potential_solver.solve(sigma_used)
    solves = 1
    capacity = heat.heat_capacity_j_per_k
    names: tuple[str, ...] = (
        "time_s",
        "set_point_c",
        "tip_temperature_c",
        "voltage_v",
        "current_a",
        "power_w",
        "impedance_ohm",
    )
    electrodes = geometry.electrodes
    labels = [c.name or str(k + 1) for k, c in enumerate(electrodes)]
    if len(electrodes) > 1:
        names = names + tuple(f"tip_temperature_c_{label}" for label in labels)
        names = names + tuple(f"current_a_{label}" for label in labels)
    traces: dict[str, list[float]] = {name: [] for name in names}
    series = generator.series_resistance_ohm
    last_dt = 0.0
    now = 0.0
    for end in schedule:
        dt = float(end) - now
        ratio = dt / last_dt if last_dt > 0 else 0.0
        if ratio > MAX_STEP_RATIO:
            ratio = 0.0
        effective_dt, history_weight = bdf2_coefficients(dt, ratio)
        predicted = temperature + ratio * (temperature - previous)
        sigma = scene.conductivity(predicted)
        drift = np.max(np.where(geometry.tissue, np.abs(sigma / sigma_used - 1.0), 0.0))
        if drift > SIGMA_RESOLVE_TOLERANCE:
            solution = potential_solver.solve(sigma, solution.potential)
            sigma_used = sigma
            solves += 1
        history = (
            temperature if ratio == 0.0 else temperature + history_weight * (temperature - previous)
        )
        rhs = capacity / effective_dt * history + heat.fixed_w
        if perfused:
            fraction = _perfusion_fraction(scene, omega)
            current_explicit = (
                heat.perfusion_w_per_k
                * (1.0 - fraction)
                * (temperature - heat.arterial_temperature_c)
            )
            explicit = current_explicit
            if ratio != 0.0:
                explicit = current_explicit + ratio * (current_explicit - explicit_old)
            explicit_old = current_explicit
            rhs = rhs + explicit
        solver = heat.solver(effective_dt)
        # Each tip reads y_k . b of the step's solution A^{-1} b (y_k = A^{-1} w_k, one
        # adjoint solve per step length: HeatStepper3D.sensor_response), so the affine
        # tip temperature a_k + b_k V^2 needs no solve and the step needs one.
        unit_heat = solution.heat_per_v2.ravel()
        responses = [heat.sensor_response(effective_dt, w, k) for k, w in enumerate(sensors)]
        reference = generator.reference_temperature_c(float(end), t0)
        # The hottest tip holds the set point: the smallest V^2 over the thermocouples.
        squared = min(
            float(
                choose_squared_voltage(
                    tip_base_c=float(response @ rhs.ravel()),
                    tip_gain_c_per_v2=float(response @ unit_heat),
                    reference_c=reference,
                    unit_conductance_s=solution.conductance_s,
                    settings=generator,
                )
            )
            for response in responses
        )
        new = solver.solve(rhs.ravel() + squared * unit_heat, predicted.ravel()).reshape(shape)
        log_rate_new = _log_rate(scene, protocol, new)
        omega += step_increment(dt, log_rate_old, log_rate_new)
        log_rate_old = log_rate_new
        previous, temperature = temperature, new
        np.maximum(peak, new, out=peak)
        tissue_ohm = solution.resistance_ohm
        current = np.sqrt(squared) / tissue_ohm
        tips = [float(sensor @ new.ravel()) for sensor in sensors]
        if len(electrodes) > 1:
            for label, tip, per_volt in zip(
                labels, tips, solution.cannula_current_per_v, strict=True
            ):
                traces[f"tip_temperature_c_{label}"].append(tip)
                traces[f"current_a_{label}"].append(float(np.sqrt(squared) * per_volt))
        for name, value in (
            ("time_s", float(end)),
            ("set_point_c", reference),
            ("tip_temperature_c", max(tips)),
            ("voltage_v", current * (tissue_ohm + series)),
            ("current_a", current),
            ("power_w", current**2 * (tissue_ohm + series)),
            ("impedance_ohm", tissue_ohm + series),
        ):
            traces[name].append(float(value))
        last_dt, now = dt, float(end)
        if progress is not None:
            progress(now / float(schedule[-1]), time.perf_counter() - started)
    log10_omega = np.log10(np.maximum(omega, 1e-300))
    lesion = measure_lesion(geometry, log10_omega)
    return Lesion3DResult(
        lesion=lesion,
        temperature_c=temperature,
        peak_temperature_c=peak,
        log10_omega=log10_omega,
        traces={name: np.asarray(values) for name, values in traces.items()},
        omega=omega,
        diagnostics={
            "cells": float(scene.grid.size),
            "steps": float(schedule.size),
            "potential_solves": float(solves),
            "potential_cg_iterations": float(solution.iterations),
            "heat_cg_iterations": float(heat.iterations),
            "runtime_s": time.perf_counter() - started,
            "peak_tissue_temperature_c": float(np.max(np.where(geometry.metal, -np.inf, peak))),
        },
    )
