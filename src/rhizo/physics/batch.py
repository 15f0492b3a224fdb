"""Many lesions at once: the engine of :mod:`rhizo.physics.engine`, batched over protocols.

Same equations, grid, time stepping, re-solve rule and controller as
:func:`rhizo.physics.engine.simulate` (see there), advanced for a batch of B
protocols in lock step on arrays of shape (B, n_r, n_z), so a sweep of set
temperatures and times runs as one computation, on the CPU (NumPy) or on a
CUDA GPU (CuPy, :mod:`rhizo.physics.backend`).

What a batch shares and what may differ: the cannula (gauge, tip, metal),
the tissue, the damage model and the grid define the matrices, so they must be
equal within a batch; the generator program (set temperature, lesion time,
ramp, power and voltage limits, series resistance) may differ per lesion.
:func:`simulate_sweep` groups any list of protocols into such batches. A lesion
whose program ends early simply stops advancing while the others go on.

Per step, for the lesions still running:

- sigma(T) per lesion; the unit-voltage potential is re-solved, for the lesions
  whose sigma drifted by more than 2 % in a tissue cell, by conjugate gradients
  on the matrix-free five-point operator, preconditioned with the exact inverse
  at the starting sigma (warm-started from the last potential; relative
  residual 1e-10);
- one backward-Euler heat solve for all lesions with the shared heat matrix
  (plus one for the Joule-heat response of the lesions just re-solved);
- the model-predictive controller picks each lesion's V^2 within its limits;
- Arrhenius damage by the trapezoidal rule, peak temperature.

Only conducting metal (``metal_conducts_heat=True``, every clinical case) is
batched; the adiabatic-metal benchmark B4 stays with the single-lesion engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rhizo.physics.backend import Backend, get_backend
from rhizo.physics.damage import GAS_CONSTANT_J_PER_MOL_K, KELVIN_OFFSET
from rhizo.physics.engine import (
    SIGMA_RESOLVE_TOLERANCE,
    GeneratorTraces,
    LesionResult,
    _thermocouple,
    build_model,
    lesion_boundaries,
)
from rhizo.physics.fv import (
    CannulaGeometry,
    Conductances,
    assemble,
    electric_conductances,
    thermal_far,
)
from rhizo.physics.protocol import LesionProtocol

ProgressCallback = Callable[[int, int], None]

#: Fields that define the matrices: equal across a batch.
SHARED_FIELDS = (
    "gauge",
    "tip_length_mm",
    "tip_kind",
    "tissue",
    "metal",
    "metal_conducts_heat",
    "grid",
    "damage",
)
#: Conjugate-gradient stopping rule for the potential: ||r|| <= CG_RTOL ||b|| per lesion.
CG_RTOL = 1e-10
CG_MAX_ITERATIONS = 500
#: Residuals are checked (a device-to-host sync on a GPU) every this many iterations.
CG_CHECK_EVERY = 2


def _check_batch(protocols: Sequence[LesionProtocol]) -> None:
    if not protocols:
        raise ValueError("protocols is empty: a batch needs at least one lesion")
    first = protocols[0]
    for index, protocol in enumerate(protocols[1:], start=1):
        for name in SHARED_FIELDS:
            if getattr(protocol, name) != getattr(first, name):
                raise ValueError(
                    f"protocols[{index}].{name} differs from protocols[0].{name}: a batch "
                    f"shares {', '.join(SHARED_FIELDS)}; simulate_sweep groups mixed protocols"
                )
    if not first.metal_conducts_heat:
        raise ValueError(
            "metal_conducts_heat=False (adiabatic metal, benchmark B4) is not batched; "
            "use rhizo.physics.simulate"
        )


@dataclass
class _Electric:
    """The potential problem of one geometry, batched over sigma fields (B, n_r, n_z)."""

    xp: Any
    tissue: Any
    radial_area: Any
    radial_low: Any
    radial_high: Any
    radial_tissue: Any
    axial_area: Any
    axial_low: Any
    axial_high: Any
    axial_tissue: Any
    #: Per-cell conductance to the electrode and to the far boundary per unit sigma:
    #: both are linear in the cell's own sigma (A sigma / s and the Robin term).
    electrode_per_sigma: Any
    far_per_sigma: Any

    @classmethod
    def build(cls, geometry: CannulaGeometry, far_boundary: str, backend: Backend) -> _Electric:
        ones = np.ones(geometry.grid.shape)
        far, electrode = electric_conductances(geometry, ones, far_boundary=far_boundary)
        if far_boundary == "grounded":
            far_per_sigma = np.where(geometry.tissue, thermal_far(geometry.grid, ones), 0.0)
        else:
            far_per_sigma = far.dirichlet
        a = backend.asarray
        r, z = geometry.radial, geometry.axial
        return cls(
            xp=backend.xp,
            tissue=a(geometry.tissue),
            radial_area=a(r.area_m2),
            radial_low=a(np.ascontiguousarray(r.distance_low_m)),
            radial_high=a(np.ascontiguousarray(r.distance_high_m)),
            radial_tissue=a(r.both_tissue),
            axial_area=a(z.area_m2),
            axial_low=a(np.ascontiguousarray(z.distance_low_m)),
            axial_high=a(np.ascontiguousarray(z.distance_high_m)),
            axial_tissue=a(z.both_tissue),
            electrode_per_sigma=a(electrode),
            far_per_sigma=a(far_per_sigma),
        )

    def operator(self, sigma: Any) -> tuple[Any, Any, Any, Any]:
        """(radial G, axial G, diagonal, electrode G) for sigma of shape (B, n_r, n_z)."""
        xp = self.xp
        radial = xp.where(
            self.radial_tissue,
            self.radial_area
            / (self.radial_low / sigma[:, :-1, :] + self.radial_high / sigma[:, 1:, :]),
            0.0,
        )
        axial = xp.where(
            self.axial_tissue,
            self.axial_area
            / (self.axial_low / sigma[:, :, :-1] + self.axial_high / sigma[:, :, 1:]),
            0.0,
        )
        electrode = sigma * self.electrode_per_sigma
        diagonal = sigma * self.far_per_sigma + electrode
        diagonal[:, :-1, :] += radial
        diagonal[:, 1:, :] += radial
        diagonal[:, :, :-1] += axial
        diagonal[:, :, 1:] += axial
        # Metal cells are not unknowns: an identity row keeps them at 0 (they have no
        # conductance to any tissue cell, so they decouple).
        diagonal = xp.where(self.tissue, diagonal, 1.0)
        return radial, axial, diagonal, electrode


def _apply(radial: Any, axial: Any, diagonal: Any, u: Any) -> Any:
    """The five-point operator: diagonal u minus the face couplings."""
    out = diagonal * u
    out[:, :-1, :] -= radial * u[:, 1:, :]
    out[:, 1:, :] -= radial * u[:, :-1, :]
    out[:, :, :-1] -= axial * u[:, :, 1:]
    out[:, :, 1:] -= axial * u[:, :, :-1]
    return out


def _pcg(
    xp: Any,
    radial: Any,
    axial: Any,
    diagonal: Any,
    rhs: Any,
    start: Any,
    precondition: Callable[[Any], Any],
) -> tuple[Any, int]:
    """Preconditioned CG per lesion (independent systems stacked on axis 0)."""

    def dot(a: Any, b: Any) -> Any:
        return (a * b).sum(axis=(1, 2))

    x = start.copy()
    residual = rhs - _apply(radial, axial, diagonal, x)
    z = precondition(residual)
    direction = z.copy()
    rz = dot(residual, z)
    target = (CG_RTOL * xp.sqrt(dot(rhs, rhs))) ** 2
    for iteration in range(1, CG_MAX_ITERATIONS + 1):
        applied = _apply(radial, axial, diagonal, direction)
        curvature = dot(direction, applied)
        alpha = xp.where(curvature > 0, rz / xp.where(curvature > 0, curvature, 1.0), 0.0)
        x += alpha[:, None, None] * direction
        residual -= alpha[:, None, None] * applied
        if iteration % CG_CHECK_EVERY == 0 and bool(xp.all(dot(residual, residual) <= target)):
            return x, iteration
        z = precondition(residual)
        rz_new = dot(residual, z)
        beta = xp.where(rz > 0, rz_new / xp.where(rz > 0, rz, 1.0), 0.0)
        direction = z + beta[:, None, None] * direction
        rz = rz_new
    worst = float(xp.max(xp.sqrt(dot(residual, residual) / xp.maximum(dot(rhs, rhs), 1e-300))))
    raise RuntimeError(
        f"potential CG did not converge in {CG_MAX_ITERATIONS} iterations "
        f"(worst relative residual {worst:.2e})"
    )


def _face_power(radial: Any, axial: Any, electrode: Any, potential: Any) -> Any:
    """Joule heat per cell (W) at 1 V, batched (see rhizo.physics.fv.face_power)."""
    power = electrode * (1.0 - potential) ** 2
    radial_loss = radial * (potential[:, 1:, :] - potential[:, :-1, :]) ** 2
    axial_loss = axial * (potential[:, :, 1:] - potential[:, :, :-1]) ** 2
    power[:, :-1, :] += 0.5 * radial_loss
    power[:, 1:, :] += 0.5 * radial_loss
    power[:, :, :-1] += 0.5 * axial_loss
    power[:, :, 1:] += 0.5 * axial_loss
    return power


def _programs(protocols: Sequence[LesionProtocol], backend: Backend) -> dict[str, Any]:
    """Per-lesion generator settings as backend vectors."""
    generators = [p.generator for p in protocols]
    vector = {
        "set_c": [g.set_temperature_c for g in generators],
        "ramp_s": [g.ramp_s for g in generators],
        "max_power_w": [g.max_power_w for g in generators],
        "max_voltage_v": [g.max_voltage_v for g in generators],
        "series_ohm": [g.series_resistance_ohm for g in generators],
    }
    return {
        key: backend.asarray(np.asarray(values, dtype=np.float64)) for key, values in vector.items()
    }


def simulate_batch(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    progress: ProgressCallback | None = None,
) -> list[LesionResult]:
    """Simulate lesions that share cannula, tissue and grid, in lock step on ``backend``.

    Returns one :class:`~rhizo.physics.engine.LesionResult` per protocol, in order;
    ``runtime_s`` is the batch's wall time divided by its size and the diagnostics
    name the batch size and backend. ``progress(step, steps)`` is called every step.
    """
    _check_batch(protocols)
    array_backend = get_backend(backend)
    xp = array_backend.xp
    started = time.perf_counter()
    first = protocols[0]
    batch = len(protocols)
    tissue = first.tissue
    grid, geometry, heat = build_model(first)
    dt = first.grid.time_step_s
    t_initial = tissue.initial_temperature_c
    sensor_index, sensor_weights = _thermocouple(first, geometry, heat)
    heat_solve = array_backend.factorise(heat.free_matrix)
    a = array_backend.asarray
    sensor_index_x, sensor_weights_x = a(sensor_index), a(sensor_weights)
    capacity_rate = a(heat.capacity_rate_free)[:, None]
    fixed = a(heat.fixed_free)[:, None]
    electric = _Electric.build(geometry, first.grid.electric_far_boundary, array_backend)
    # Preconditioner: the exact inverse of the operator at the starting (uniform) sigma.
    # sigma(T) moves each cell's conductivity by under a factor of 2 during a lesion, so
    # the preconditioned system stays close to the identity and CG needs a handful of
    # iterations per re-solve (the single-lesion engine reuses its factorisation alike).
    sigma_start = tissue.electrical_conductivity(np.full(grid.shape, t_initial))
    far_start, electrode_start = electric_conductances(
        geometry, sigma_start, far_boundary=first.grid.electric_far_boundary
    )
    if first.grid.electric_far_boundary == "grounded":
        far_start = Conductances(
            radial=far_start.radial,
            axial=far_start.axial,
            dirichlet=np.where(geometry.tissue, thermal_far(grid, sigma_start), 0.0),
        )
    start_solve = array_backend.factorise(
        assemble(far_start, electrode_start + geometry.metal.astype(np.float64))
    )

    def precondition(residual: Any) -> Any:
        count = residual.shape[0]
        return start_solve(residual.reshape(count, grid.size).T).T.reshape(residual.shape)

    tissue_mask = electric.tissue
    program = _programs(protocols, array_backend)
    steps_each = [max(1, int(np.ceil(p.generator.total_time_s / dt - 1e-9))) for p in protocols]
    steps_total = max(steps_each)
    steps_host = np.asarray(steps_each)

    shape = (batch, *grid.shape)
    cells = grid.size
    temperature = xp.full(shape, t_initial)
    peak = temperature.copy()
    omega = xp.zeros(shape)
    log_a = float(np.log(first.damage.frequency_factor_per_s))
    activation = first.damage.activation_energy_j_per_mol / GAS_CONSTANT_J_PER_MOL_K

    def damage_rate(values: Any) -> Any:
        return xp.exp(log_a - activation / (values + KELVIN_OFFSET))

    def sigma_of(values: Any) -> Any:
        factor = 1.0 + tissue.conductivity_temperature_coefficient_per_k * (
            values - tissue.conductivity_reference_temperature_c
        )
        return tissue.electrical_conductivity_s_per_m * xp.maximum(factor, 0.05)

    rate_old = damage_rate(temperature)
    potential = xp.zeros(shape)
    heat_per_v2 = xp.zeros(shape)
    conductance = xp.ones(batch)
    sigma_used = xp.ones(shape)
    response = xp.zeros((cells, batch))
    solved = np.zeros(batch, dtype=bool)
    solves = np.zeros(batch, dtype=np.int64)
    cg_iterations = 0
    energy = xp.zeros(batch)
    rows: dict[str, list[Any]] = {key: [] for key in ("set", "tip", "volt", "amp", "watt", "ohm")}

    for step in range(1, steps_total + 1):
        now = step * dt
        running_host = step <= steps_host  # known on the host: no device round trip
        running = a(running_host)
        sigma = sigma_of(temperature)
        drift = xp.abs(sigma / sigma_used - 1.0)
        drifted = xp.max(xp.where(tissue_mask, drift, 0.0), axis=(1, 2)) > SIGMA_RESOLVE_TOLERANCE
        need = running_host & (~solved | np.asarray(array_backend.to_numpy(drifted), dtype=bool))
        if need.any():
            chosen = np.flatnonzero(need)
            index = a(chosen)
            radial, axial, diagonal, electrode = electric.operator(sigma[index])
            solution, used = _pcg(
                xp, radial, axial, diagonal, electrode, potential[index], precondition
            )
            cg_iterations += used
            potential[index] = solution
            heat_per_v2[index] = _face_power(radial, axial, electrode, solution)
            conductance[index] = (electrode * (1.0 - solution)).sum(axis=(1, 2))
            sigma_used[index] = sigma[index]
            response[:, index] = heat_solve(heat_per_v2[index].reshape(len(chosen), cells).T)
            solved[chosen] = True
            solves[chosen] += 1
        flat = temperature.reshape(batch, cells).T  # (cells, B)
        base = heat_solve(capacity_rate * flat + fixed)
        ramp = program["ramp_s"]
        ramping = (ramp > 0) & (now < ramp)
        fraction = xp.where(ramping, now / xp.where(ramp > 0, ramp, 1.0), 1.0)
        reference = t_initial + fraction * (program["set_c"] - t_initial)
        tip_base = sensor_weights_x @ base[sensor_index_x, :]
        tip_gain = sensor_weights_x @ response[sensor_index_x, :]
        tissue_ohm = 1.0 / conductance
        total_ohm = tissue_ohm + program["series_ohm"]
        scale = (total_ohm / tissue_ohm) ** 2
        wanted = xp.maximum((reference - tip_base) / xp.where(tip_gain > 0, tip_gain, 1.0), 0.0)
        squared_voltage = xp.where(
            tip_gain > 0,
            xp.minimum(
                xp.minimum(wanted, program["max_voltage_v"] ** 2 / scale),
                program["max_power_w"] * total_ohm / scale,
            ),
            0.0,
        )
        new_flat = base + squared_voltage[None, :] * response
        new = new_flat.T.reshape(shape)
        rate_new = damage_rate(new)
        moving = running[:, None, None]
        omega = xp.where(moving, omega + 0.5 * dt * (rate_old + rate_new), omega)
        rate_old = xp.where(moving, rate_new, rate_old)
        peak = xp.where(moving, xp.maximum(peak, new), peak)
        temperature = xp.where(moving, new, temperature)
        current = xp.sqrt(squared_voltage) / tissue_ohm
        energy = energy + xp.where(running, current**2 * tissue_ohm * dt, 0.0)
        rows["set"].append(reference)
        rows["tip"].append(sensor_weights_x @ new_flat[sensor_index_x, :])
        rows["volt"].append(current * total_ohm)
        rows["amp"].append(current)
        rows["watt"].append(current**2 * total_ohm)
        rows["ohm"].append(total_ohm)
        if progress is not None:
            progress(step, steps_total)

    array_backend.synchronize()
    host = array_backend.to_numpy
    traces_all = {key: host(xp.stack(values)) for key, values in rows.items()}
    temperature_h, peak_h, omega_h = host(temperature), host(peak), host(omega)
    potential_h, energy_h = host(potential), host(energy)
    elapsed = time.perf_counter() - started
    results = []
    for member, protocol in enumerate(protocols):
        n = steps_each[member]
        log10_omega, member_peak, boundaries = lesion_boundaries(
            protocol, geometry, omega_h[member], peak_h[member]
        )
        unit_potential = np.where(geometry.metal, 1.0, potential_h[member])
        traces = GeneratorTraces(
            time_s=dt * np.arange(1, n + 1, dtype=np.float64),
            set_point_c=traces_all["set"][:n, member],
            tip_temperature_c=traces_all["tip"][:n, member],
            voltage_v=traces_all["volt"][:n, member],
            current_a=traces_all["amp"][:n, member],
            power_w=traces_all["watt"][:n, member],
            impedance_ohm=traces_all["ohm"][:n, member],
        )
        results.append(
            LesionResult(
                protocol=protocol,
                grid=grid,
                metal=geometry.metal,
                temperature_c=temperature_h[member],
                peak_temperature_c=member_peak,
                log10_omega=log10_omega,
                unit_potential=unit_potential,
                traces=traces,
                boundaries=boundaries,
                runtime_s=elapsed / batch,
                energy_j=float(energy_h[member]),
                diagnostics={
                    "electrical_energy_j": float(energy_h[member]),
                    "cells": float(cells),
                    "steps": float(n),
                    "potential_solves": float(solves[member]),
                    "batch_size": float(batch),
                    "batch_runtime_s": elapsed,
                    "batch_cg_iterations": float(cg_iterations),
                    "gpu": 1.0 if array_backend.name == "cupy" else 0.0,
                },
            )
        )
    return results


def _batch_key(protocol: LesionProtocol) -> str:
    return repr(tuple((name, getattr(protocol, name)) for name in SHARED_FIELDS))


def simulate_sweep(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    max_batch: int = 256,
    progress: ProgressCallback | None = None,
) -> list[LesionResult]:
    """Any protocols, grouped into batches of equal cannula, tissue and grid; results in order.

    ``max_batch`` bounds the lesions advanced together (memory grows with it);
    ``progress(done, total)`` counts finished lesions.
    """
    if max_batch < 1:
        raise ValueError(f"max_batch must be at least 1, got {max_batch}")
    groups: dict[str, list[int]] = {}
    for index, protocol in enumerate(protocols):
        groups.setdefault(_batch_key(protocol), []).append(index)
    results: list[LesionResult | None] = [None] * len(protocols)
    done = 0
    for indices in groups.values():
        for start in range(0, len(indices), max_batch):
            chunk = indices[start : start + max_batch]
            for index, result in zip(
                chunk, simulate_batch([protocols[i] for i in chunk], backend=backend), strict=True
            ):
                results[index] = result
            done += len(chunk)
            if progress is not None:
                progress(done, len(protocols))
    return [r for r in results if r is not None]
