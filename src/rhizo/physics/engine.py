"""The lesion simulation: quasi-static potential, Joule heating, Pennes bioheat, control.

Equations (SI):

    div(sigma(T) grad V) = 0                         electric, quasi-static
    rho c dT/dt = div(k grad T) + sigma |grad V|^2 - W f(Omega) (T - T_a)   Pennes bioheat
    dOmega/dt = A exp(-E_a / (R T))                   Arrhenius damage

on the axisymmetric grid of :mod:`rhizo.physics.grid`, in time by variable-step BDF2
(second order, L-stable; the first step is backward Euler) on the steps of
:func:`rhizo.physics.grid.step_end_times`. Each BDF2 step is a backward-Euler solve of
length dt_eff from a history value (:func:`bdf2_coefficients`), so one heat
factorisation serves each (step length, step ratio) pair. Against backward Euler at
the old 1-2-4 s steps (39 steps, -0.72 % width error against 0.0625-0.25 s steps at
the default cells, 18 G / 10 mm / 80 C / 90 s), BDF2 on 14 steps (1-2-4-8 s over the
ramp, 5 then 10 s in the hold) is +0.12 % (docs/performance.md, third pass).

This module holds the one time loop; it advances a batch of B >= 1 lesions that
share cannula, tissue and grid in lock step (:func:`simulate` is the batch of one;
:mod:`rhizo.physics.batch` groups sweeps), on NumPy or CuPy arrays. Each piece of
physics has one definition, called here and nowhere re-written:

- sigma(T): :meth:`Tissue.electrical_conductivity`;
- potential: :class:`rhizo.physics.potential.PotentialSolver` on the conductances of
  :class:`rhizo.physics.fv.ElectricCoefficients`, Joule heat by
  :func:`rhizo.physics.fv.face_power`. sigma is lagged (the usual "weak coupling",
  Irastorza's RFA-tutorial): sigma is evaluated at the temperature extrapolated to
  the step's end, and the unit-voltage potential is re-solved when that sigma has
  drifted by more than :data:`SIGMA_RESOLVE_TOLERANCE` in any tissue cell;
- heat: :class:`rhizo.physics.thermal.HeatStepper` (one factorisation per effective
  step length, cached by :mod:`rhizo.physics.model`);
- perfusion: W = w_b rho_b c_b scaled by ``Tissue.perfusion_fraction(Omega)`` where the
  tissue defines it (1 otherwise). The full W is implicit in the heat matrix and the
  change, W (1 - f) (T - T_a), is explicit, extrapolated linearly from the last two
  step ends to the step's end (dt W / rho c <= 0.03 at 10 s steps, so it is stable);
- generator: the set point of :meth:`GeneratorSettings.reference_temperature_c` and
  :func:`rhizo.physics.generator.choose_squared_voltage` (the tip temperature at the
  end of a step is affine in V^2 because the step is linear in the heat source);
- thermocouple: :func:`thermocouple` (:data:`THERMOCOUPLE_SPAN_M`);
- damage: the protocol's damage model's ``log_rate``, integrated exactly over each
  step for a log-rate linear in time, dt (r_1 - r_0) / (ln r_1 - ln r_0) (exact at
  constant temperature; the trapezoid overestimates a step whose rate grows e-fold):
  :func:`rhizo.physics.damage.step_increment`, which the 3D engine calls too.

Boiling: water in tissue boils at about 100 C; the vapour raises the impedance and
real generators then cut their power (impedance roll-off), which this model does not
represent. When any tissue cell reaches :data:`BOILING_TEMPERATURE_C` the result says
so (``warnings``, with the time and the peak). By default the run goes on: the first
cell to boil is often a point hot spot (a sharp tip's apex, a field singularity that
grows under grid refinement), a coupled evaporation model finds the impedance rising
about 65 s after evaporation starts at the electrode's edge (BioMed Eng OnLine
2013;12:127, abstract read), and bench lesions at 90 C with sharp cannulae still grow
(Cosman 2014); ``stop_at_boiling=True`` ends the run at that step instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.backend import get_backend
from rhizo.physics.damage import step_increment
from rhizo.physics.fv import CannulaGeometry, electric_conductances
from rhizo.physics.generator import BatchLimits, GeneratorSettings, choose_squared_voltage
from rhizo.physics.grid import step_end_times
from rhizo.physics.model import LesionModel, lesion_model
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.result import GeneratorTraces, LesionResult, lesion_boundaries_batch
from rhizo.physics.thermal import HeatStepper

__all__ = [
    "BOILING_TEMPERATURE_C",
    "SIGMA_RESOLVE_TOLERANCE",
    "THERMOCOUPLE_SPAN_M",
    "GeneratorTraces",
    "LesionResult",
    "run_lesions",
    "simulate",
    "thermocouple",
]

FloatArray = NDArray[np.float64]
ProgressCallback = Callable[[float, float], None]

#: Length of metal at the distal end whose mean temperature the thermocouple reads.
THERMOCOUPLE_SPAN_M = 1.0e-3
#: Re-solve the potential when sigma drifted by more than this in any tissue cell.
#: 10 %, by measured error (80 C / 90 s, against re-solving at 1 %): the width moves
#: by +0.11 % (18 G / 10 mm), +0.37 % (22 G / 5 mm), -0.01 % (16 G / 15 mm) with 11,
#: 9, 11 solves instead of 33, 31, 34. 15 % (8, 7, 7 solves) moved the 4x-refined
#: reference so that 22 G / 10 mm missed the 1 % width target (docs/performance.md).
SIGMA_RESOLVE_TOLERANCE = 0.10
#: Largest step ratio taken with BDF2 history; a longer step restarts as backward Euler.
MAX_STEP_RATIO = 2.0
#: On the CPU a batch's elementwise work (sigma prediction, damage) runs this many
#: lesions at a time: 4 lesions' (4, 60, 102) arrays (0.2 MB) stay in a core's L2
#: cache, 64 lesions' do not (one damage update of 64 lesions: 17-18 ms at once, 9-11
#: ms in parts of 8, 6-7 ms one lesion at a time; CPU clock, loaded 2-core machine).
CPU_CHUNK_LESIONS = 4
#: Tissue water boils here (1 atm); beyond it the model is not valid.
BOILING_TEMPERATURE_C = 100.0

_TRACES = ("set_point_c", "tip_temperature_c", "voltage_v", "current_a", "power_w")
#: Per-lesion device arrays of a run's state (axis 0: lesion), copied when twins split.
_STATE = (
    "temperature",
    "peak",
    "omega",
    "log_rate_old",
    "rate_old",
    "previous",
    "explicit_old",
    "potential",
    "heat_per_v2",
    "conductance",
    "joule_per_v2",
    "sigma_used",
)


def _program_key(generator: GeneratorSettings) -> tuple[float, ...]:
    """What makes two programs take equal steps with equal inputs (all but the duration)."""
    return (
        generator.set_temperature_c,
        generator.ramp_s,
        generator.max_power_w,
        generator.max_voltage_v,
        generator.series_resistance_ohm,
    )


def thermocouple(
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


def simulate(
    protocol: LesionProtocol,
    *,
    progress: ProgressCallback | None = None,
    stop_at_boiling: bool = False,
) -> LesionResult:
    """Simulate one temperature-controlled RF lesion (the batch of one, on NumPy).

    ``progress(simulated_s, total_s)`` is called after every step. Where tissue
    reaches 100 C the result warns; with ``stop_at_boiling`` the run also ends at that
    step (the fields and traces are those of that time).
    """
    report = None
    if progress is not None:
        total = protocol.generator.total_time_s

        def report(times: FloatArray) -> None:
            progress(float(times[0]), total)

    return run_lesions(
        [protocol], backend="numpy", step_callback=report, stop_at_boiling=stop_at_boiling
    )[0]


class _Run:
    """State of a batch of lesions advancing in lock step (arrays of one backend)."""

    def __init__(
        self, protocols: Sequence[LesionProtocol], backend_name: str, *, stop_at_boiling: bool
    ) -> None:
        self.protocols = protocols
        self.stop_at_boiling = stop_at_boiling
        self.backend = get_backend(backend_name)
        self.model: LesionModel = lesion_model(protocols[0])
        first = protocols[0]
        xp, a = self.backend.xp, self.backend.asarray
        self.xp, self.a = xp, a
        self.tissue = first.tissue
        self.damage = first.damage
        grid = self.model.grid
        self.count = len(protocols)
        self.schedules = [
            step_end_times(
                ramp_s=p.generator.ramp_s, total_s=p.generator.total_time_s, settings=p.grid
            )
            for p in protocols
        ]
        self.steps = np.asarray([s.size for s in self.schedules])
        heat = self.model.heat(float(self.schedules[0][0]))
        self.free = heat.free_index
        self.all_free = self.free.size == grid.size
        index, weights = thermocouple(first, self.model.geometry, heat)
        self.sensor_index_host, self.sensor_weights_host = index, weights
        self.sensor_index, self.sensor_weights = a(index), a(weights)
        self.capacity_j_per_k = a(heat.heat_capacity_j_per_k.ravel()[self.free])
        self.far_w_per_k = a(heat.far_conductance_w_per_k.ravel()[self.free])
        self.far_total_w_per_k = float(heat.far_conductance_w_per_k.ravel()[self.free].sum())
        self.perfusion_total_w_per_k = float(heat.perfusion_w_per_k.ravel()[self.free].sum())
        self.perfusion_w_per_k = a(heat.perfusion_w_per_k.ravel()[self.free])
        self.fixed_w = a(
            (
                heat.far_conductance_w_per_k * heat.far_temperature_c
                + heat.perfusion_w_per_k * heat.arterial_temperature_c
            ).ravel()[self.free]
        )
        self.perfused = bool(np.any(heat.perfusion_w_per_k > 0))
        self.generators = [p.generator for p in protocols]
        self.fraction_of = getattr(self.tissue, "perfusion_fraction", None)
        self.tissue_mask = a(self.model.geometry.tissue)
        self.t_initial = self.tissue.initial_temperature_c
        self.t_far, self.t_arterial = heat.far_temperature_c, heat.arterial_temperature_c
        shape = (self.count, *grid.shape)
        self.temperature = xp.full(shape, self.t_initial)
        self.peak = self.temperature.copy()
        self.omega = xp.zeros(shape)
        self.log_rate_old = self.damage.log_rate(self.temperature)
        self.rate_old = xp.exp(self.log_rate_old)
        self.previous = self.temperature.copy()  # T^{n-1} (BDF2 history)
        self.explicit_old = xp.zeros((self.count, self.free.size))  # perfusion change at n-1
        self.potential = xp.zeros(shape)
        self.heat_per_v2 = xp.zeros(shape)
        self.conductance = xp.ones(self.count)
        self.joule_per_v2 = xp.zeros(self.count)  # total Joule heat in the grid per V^2
        self.sigma_used = xp.ones(shape)
        # Every run starts at uniform temperature: the model's cached potential there.
        initial = self.model.initial_potential(self.backend)
        self.potential[:] = initial.potential[0]
        self.heat_per_v2[:] = initial.heat_per_v2[0]
        self.conductance[:] = initial.conductance_s[0]
        self.joule_per_v2[:] = initial.heat_per_v2[0].sum()
        self.sigma_used[:] = a(self.model.sigma_start)
        self.solved = np.ones(self.count, dtype=bool)
        self.solves = np.ones(self.count, dtype=np.int64)  # the initial one counts
        self.cg_iterations = initial.iterations
        self.limits = BatchLimits(
            max_power_w=a(np.asarray([g.max_power_w for g in self.generators])),
            max_voltage_v=a(np.asarray([g.max_voltage_v for g in self.generators])),
            series_resistance_ohm=a(np.asarray([g.series_resistance_ohm for g in self.generators])),
        )
        rows = int(self.steps.max())
        self.trace = {name: xp.zeros((rows, self.count)) for name in (*_TRACES, "impedance_ohm")}
        self.energy = {
            name: xp.zeros(self.count) for name in ("electrical", "joule", "boundary", "perfusion")
        }
        # The last step's share of each energy (BDF2 books part of a step on the next).
        self.carry = {name: xp.zeros(self.count) for name in self.energy}
        self.boiling_s = np.full(self.count, np.nan)
        self.solvers: dict[float, tuple[Callable[[Any], Any], Any]] = {}
        self.chunk = self.count if self.backend.name == "cupy" else CPU_CHUNK_LESIONS
        # twin[i]: the lesion whose state lesion i shares while their programs agree
        # (same set point, ramp and limits, so the same inputs at every common step;
        # they differ at most in duration). Lesions are ordered longest first, so a
        # group's first (longest) lesion carries the state; see run_lesions.
        firsts: dict[tuple[float, ...], int] = {}
        self.twin = np.asarray(
            [firsts.setdefault(_program_key(g), i) for i, g in enumerate(self.generators)],
            dtype=np.intp,
        )
        self.shared_steps = np.zeros(self.count, dtype=np.int64)

    def take_state(self, lesions: NDArray[np.intp]) -> None:
        """Give each of ``lesions`` its own copy of its twin's state; they diverge from here."""
        sources = self.twin[lesions]
        target, source = self.a(lesions), self.a(sources)
        for name in _STATE:
            values = getattr(self, name)
            values[target] = values[source]
        for values in self.trace.values():  # (steps, lesions)
            values[:, target] = values[:, source]
        for group in (self.energy, self.carry):
            for values in group.values():
                values[target] = values[source]
        for host in (self.solved, self.solves, self.boiling_s):
            host[lesions] = host[sources]
        self.twin[lesions] = lesions

    def split_twins(self, step: int, active: NDArray[np.intp], keys: Any, ends: Any) -> None:
        """Before step ``step``: twins whose step differs from their twin's (or whose
        twin has ended) take their own state; the others take this step on the twin's."""
        twins = active[self.twin[active] != active]
        if twins.size == 0:
            return
        sources = self.twin[twins]
        column = step - 1
        differ = (
            (step > self.steps[sources])
            | (keys[twins, column] != keys[sources, column])
            | (ends[twins, column] != ends[sources, column])
        )
        if differ.any():
            self.take_state(twins[differ])
        self.shared_steps[twins[~differ]] += 1

    def end_twins(self, step: int, ends: Any) -> None:
        """After step ``step``: twins whose run ends here (program done, or stopped at
        boiling with their twin) take their own copy of the shared state."""
        twins = np.flatnonzero(self.twin != np.arange(self.count))
        if twins.size == 0:
            return
        sources = self.twin[twins]
        if self.stop_at_boiling:
            boiled = (self.steps[sources] == step) & (
                self.boiling_s[sources] == ends[sources, step - 1]
            )
            running = step <= self.steps[twins]
            self.steps[twins[boiled & running]] = step
        ending = twins[self.steps[twins] == step]
        if ending.size:
            self.take_state(ending)

    def parts(self, count: int) -> list[slice]:
        """Slices of ``count`` lesions in parts of :data:`CPU_CHUNK_LESIONS` (one on a GPU)."""
        return [
            slice(first, min(first + self.chunk, count)) for first in range(0, count, self.chunk)
        ]

    def free_values(self, full: Any) -> Any:
        """(free cells, k) view of (k, n_r, n_z) fields."""
        flat = full.reshape(full.shape[0], -1)
        return (flat if self.all_free else flat[:, self.a(self.free)]).T

    def expand(self, free_values: Any, previous: Any) -> Any:
        """(k, n_r, n_z) fields from free-cell values; clamped cells keep ``previous``."""
        if self.all_free:
            return free_values.T.reshape(previous.shape)
        flat = previous.reshape(previous.shape[0], -1).copy()
        flat[:, self.a(self.free)] = free_values.T
        return flat.reshape(previous.shape)

    def step_solvers(self, dt: float) -> tuple[Callable[[Any], Any], Any]:
        """The heat solve and the sensor's adjoint g = A^-1 w of a step length (per run)."""
        key = round(dt, 12)
        found = self.solvers.get(key)
        if found is None:
            found = (
                self.model.heat_solver(self.backend, dt),
                self.model.sensor_adjoint(
                    self.backend, dt, self.sensor_index_host, self.sensor_weights_host
                ),
            )
            self.solvers[key] = found
        return found

    def advance(self, step: int, members: NDArray[np.intp], dt: float, ratio: float) -> None:
        """Step ``step`` (1-based) of length ``dt`` for the lesions ``members``.

        ``ratio`` is dt / (the previous step's length), 0 for a step without history
        (backward Euler); see :func:`bdf2_coefficients`.
        """
        xp, a = self.xp, self.a
        contiguous = int(members[-1]) - int(members[0]) + 1 == members.size
        # A contiguous range of lesions is a view (run_lesions orders them so that the
        # running ones stay a prefix); other subsets are gathered.
        sel: Any = slice(int(members[0]), int(members[-1]) + 1) if contiguous else a(members)
        effective_dt, history_weight = bdf2_coefficients(dt, ratio)
        temperature = self.temperature[sel]
        previous = self.previous[sel]
        # sigma at the step's end, predicted by linear extrapolation (second order).
        # (Written T + w (T - T_prev): a field that stays still is reproduced exactly.)
        # Elementwise work runs a few lesions at a time on the CPU (cache-sized parts).
        sigma = xp.empty_like(temperature)
        drifted = xp.empty(members.size)
        sigma_used = self.sigma_used[sel]
        for part in self.parts(members.size):
            now, before = temperature[part], previous[part]
            predicted = now if ratio == 0.0 else now + ratio * (now - before)
            sigma[part] = self.tissue.electrical_conductivity(predicted)
            drift = xp.abs(sigma[part] / sigma_used[part] - 1.0)
            drifted[part] = xp.max(xp.where(self.tissue_mask, drift, 0.0), axis=(1, 2))
        need = ~self.solved[members] | (np.asarray(self.backend.to_numpy(drifted)) > _tolerance())
        if need.any():
            chosen = members[need]
            pick: Any = sel if need.all() else a(chosen)
            solution = self.model.potential(self.backend).solve(
                sigma if need.all() else sigma[a(np.flatnonzero(need))], self.potential[pick]
            )
            self.cg_iterations += solution.iterations
            self.potential[pick] = solution.potential
            self.heat_per_v2[pick] = solution.heat_per_v2
            self.conductance[pick] = solution.conductance_s
            self.joule_per_v2[pick] = solution.heat_per_v2.sum(axis=(1, 2))
            self.sigma_used[pick] = sigma if need.all() else sigma[a(np.flatnonzero(need))]
            self.solved[chosen] = True
            self.solves[chosen] += 1
        solve, adjoint = self.step_solvers(effective_dt)
        old_free = self.free_values(temperature)
        if ratio == 0.0:
            history = old_free
        else:
            history = old_free + history_weight * (old_free - self.free_values(previous))
        rhs = (self.capacity_j_per_k / effective_dt)[:, None] * history + self.fixed_w[:, None]
        explicit = None
        if self.perfused and self.fraction_of is not None:
            fraction = self.free_values(self.fraction_of(self.omega[sel]))
            current_explicit = (
                self.perfusion_w_per_k[:, None] * (1.0 - fraction) * (old_free - self.t_arterial)
            )
            explicit = current_explicit
            if ratio != 0.0:  # extrapolated to the step's end, as sigma
                explicit = current_explicit + ratio * (current_explicit - self.explicit_old[sel].T)
            self.explicit_old[sel] = current_explicit.T
            rhs = rhs + explicit
        heat_free = self.free_values(self.heat_per_v2[sel])
        # The tip reading at the step's end is w . A^-1 (rhs + V^2 q); A is symmetric,
        # so it is g . rhs + V^2 g . q with g = A^-1 w solved once per step length:
        # the controller needs two dot products, and each step one heat solve.
        times = np.asarray([self.schedules[i][step - 1] for i in members])
        reference = a(
            np.asarray(
                [
                    self.generators[i].reference_temperature_c(t, self.t_initial)
                    for i, t in zip(members, times, strict=True)
                ]
            )
        )
        weights, sensor = self.sensor_weights, self.sensor_index
        conductance = self.conductance[sel]
        limits = BatchLimits(
            max_power_w=self.limits.max_power_w[sel],
            max_voltage_v=self.limits.max_voltage_v[sel],
            series_resistance_ohm=self.limits.series_resistance_ohm[sel],
        )
        squared_voltage = choose_squared_voltage(
            tip_base_c=adjoint @ rhs,
            tip_gain_c_per_v2=adjoint @ heat_free,
            reference_c=reference,
            unit_conductance_s=conductance,
            settings=limits,
        )
        new_free = solve(rhs + squared_voltage[None, :] * heat_free)
        new = self.expand(new_free, temperature)
        for part in self.parts(members.size):
            where: Any = (
                slice(int(members[0]) + part.start, int(members[0]) + part.stop)
                if contiguous
                else sel[part]
            )
            new_part = new[part]
            self.previous[where] = self.temperature[where]
            # Damage: exact integral of a rate whose logarithm is linear in time over the
            # step, dt (r1 - r0) / (ln r1 - ln r0) (the trapezoid where they are close).
            log_rate_new = self.damage.log_rate(new_part)
            rate_new = xp.exp(log_rate_new)
            self.omega[where] += step_increment(
                dt, self.log_rate_old[where], log_rate_new, self.rate_old[where], rate_new
            )
            if contiguous:  # views: update in place
                xp.maximum(self.peak[where], new_part, out=self.peak[where])
            else:
                self.peak[where] = xp.maximum(self.peak[where], new_part)
            self.rate_old[where] = rate_new
            self.log_rate_old[where] = log_rate_new
            self.temperature[where] = new_part

        tissue_ohm = 1.0 / conductance
        total_ohm = tissue_ohm + limits.series_resistance_ohm
        current = xp.sqrt(squared_voltage) / tissue_ohm
        row = step - 1
        for name, value in (
            ("set_point_c", reference),
            ("tip_temperature_c", weights @ new_free[sensor, :]),
            ("voltage_v", current * total_ohm),
            ("current_a", current),
            ("power_w", current**2 * total_ohm),
            ("impedance_ohm", total_ohm),
        ):
            self.trace[name][row, sel] = value
        # Energies: with BDF2, C (T^{n+1} - T^n) = dt_eff F^{n+1} + h C (T^n - T^{n-1})
        # (h = history_weight), so each flux F is booked as E^{n+1} = dt_eff F^{n+1} +
        # h E^n and the stored heat equals the booked sums exactly. Sums over cells
        # are products with the cell vectors (one pass, BLAS).
        rates = {
            "electrical": current**2 * tissue_ohm,
            "joule": squared_voltage * self.joule_per_v2[sel],
            "boundary": self.far_w_per_k @ new_free - self.far_total_w_per_k * self.t_far,
        }
        if self.perfused:
            perfusion = self.perfusion_w_per_k @ new_free - self.perfusion_total_w_per_k * (
                self.t_arterial
            )
            if explicit is not None:
                perfusion = perfusion - explicit.sum(axis=0)
            rates["perfusion"] = perfusion
        for name, rate in rates.items():
            booked = effective_dt * rate
            if history_weight:
                booked = booked + history_weight * self.carry[name][sel]
            self.carry[name][sel] = booked
            self.energy[name][sel] += booked
        hottest = self.backend.to_numpy(new.max(axis=(1, 2)))
        if np.any(hottest >= BOILING_TEMPERATURE_C):  # metal is cooler than the tissue by it
            hottest = self.backend.to_numpy(
                xp.max(xp.where(self.tissue_mask, new, -np.inf), axis=(1, 2))
            )
        for member, value, now in zip(members, np.asarray(hottest), times, strict=True):
            if value >= BOILING_TEMPERATURE_C and np.isnan(self.boiling_s[member]):
                self.boiling_s[member] = now
                if self.stop_at_boiling:
                    self.steps[member] = step

    def results(self, elapsed_s: float) -> list[LesionResult]:
        """One result per lesion, in order."""
        host = self.backend.to_numpy
        geometry = self.model.geometry
        traces = {name: host(values) for name, values in self.trace.items()}
        energy = {name: host(values) for name, values in self.energy.items()}
        temperature, peak, omega = host(self.temperature), host(self.peak), host(self.omega)
        potential = host(self.potential)
        capacity = host(self.capacity_j_per_k)
        results = []
        # Every lesion's edges in one pass (the batch shares cannula and tissue).
        all_log10_omega, all_peak, all_boundaries = lesion_boundaries_batch(
            self.protocols[0], geometry, omega, peak
        )
        for member, protocol in enumerate(self.protocols):
            n = int(self.steps[member])
            log10_omega, member_peak = all_log10_omega[member], all_peak[member]
            boundaries = all_boundaries[member]
            free_temperature = temperature[member].ravel()[self.free]
            warnings: tuple[str, ...] = ()
            if not np.isnan(self.boiling_s[member]):
                consequence = (
                    "the run stopped there"
                    if self.stop_at_boiling
                    else "the run went on without vaporisation"
                )
                warnings = (
                    f"tissue reached {BOILING_TEMPERATURE_C:g} C at "
                    f"{self.boiling_s[member]:.1f} s (peak {member_peak.max():.1f} C): "
                    "vapour would raise impedance; lesion beyond this time is not "
                    f"modelled ({consequence})",
                )
            results.append(
                LesionResult(
                    protocol=protocol,
                    grid=self.model.grid,
                    metal=geometry.metal,
                    temperature_c=temperature[member],
                    peak_temperature_c=member_peak,
                    log10_omega=log10_omega,
                    unit_potential=np.where(geometry.metal, 1.0, potential[member]),
                    traces=GeneratorTraces(
                        time_s=self.schedules[member][:n].copy(),
                        **{name: traces[name][:n, member] for name in _TRACES},
                        impedance_ohm=traces["impedance_ohm"][:n, member],
                    ),
                    boundaries=boundaries,
                    runtime_s=elapsed_s / self.count,
                    energy_j=float(energy["electrical"][member]),
                    diagnostics={
                        "electrical_energy_j": float(energy["electrical"][member]),
                        "joule_energy_in_grid_j": float(energy["joule"][member]),
                        "stored_energy_j": float(
                            np.sum(capacity * (free_temperature - self.t_initial))
                        ),
                        "boundary_loss_j": float(energy["boundary"][member]),
                        "perfusion_loss_j": float(energy["perfusion"][member]),
                        "cells": float(self.model.grid.size),
                        "steps": float(n),
                        "potential_solves": float(self.solves[member]),
                        "potential_cg_iterations": float(self.cg_iterations),
                        "batch_size": float(self.count),
                        "shared_steps": float(self.shared_steps[member]),
                        "batch_runtime_s": elapsed_s,
                        "gpu": 1.0 if self.backend.name == "cupy" else 0.0,
                    },
                    warnings=warnings,
                )
            )
        return results


def bdf2_coefficients(dt: float, ratio: float) -> tuple[float, float]:
    """Effective step and history weight of a variable-step BDF2 step.

    With w = dt_n / dt_{n-1} (``ratio``), BDF2 reads

        (1+2w)/(1+w) T^{n+1} - (1+w) T^n + w^2/(1+w) T^{n-1} = dt_n f(T^{n+1}),

    which is a backward-Euler step of length dt_eff = dt_n (1+w)/(1+2w) from the
    history value (1+h) T^n - h T^{n-1}, h = w^2/(1+2w). ``ratio`` 0 is backward
    Euler (dt_eff = dt, h = 0). Zero-stable for w < 1 + sqrt 2 (MAX_STEP_RATIO).
    """
    return dt * (1.0 + ratio) / (1.0 + 2.0 * ratio), ratio * ratio / (1.0 + 2.0 * ratio)


def _tolerance() -> float:
    """The re-solve threshold, read at call time (tests may patch the module constant)."""
    return float(SIGMA_RESOLVE_TOLERANCE)


def run_lesions(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    step_callback: Callable[[FloatArray], None] | None = None,
    stop_at_boiling: bool = False,
) -> list[LesionResult]:
    """Advance lesions sharing cannula, tissue and grid in lock step; results in order.

    At step k every lesion still running takes its own k-th step (their programs may
    differ); lesions whose k-th steps have equal length share one heat solve.
    Lesions whose programs differ only in duration (same set point, ramp and limits)
    take equal steps with equal inputs until the shorter one's schedule departs (its
    last step lands on its own end time), so until then they are one computation:
    the longest carries the state, and each shorter one takes a copy of it where its
    steps depart or its run ends (``diagnostics["shared_steps"]`` counts the steps a
    lesion took on its twin's state). The arithmetic is the same, so each result
    still equals its own :func:`simulate` to rounding.
    ``step_callback(end times of the lesions that moved)`` is called after each step.
    The caller checks that the protocols share the model (``rhizo.physics.batch``).
    ``stop_at_boiling``: see :func:`simulate`.
    """
    started = time.perf_counter()
    # Longest programs first: the lesions still running are then a leading range.
    lengths_s = [p.generator.total_time_s for p in protocols]
    order = sorted(range(len(protocols)), key=lambda i: (-lengths_s[i], i))
    run = _Run([protocols[i] for i in order], backend, stop_at_boiling=stop_at_boiling)
    # Step lengths per lesion and step (NaN past a program's end), and each step's
    # ratio to the one before (0 where BDF2 restarts as backward Euler), grouped.
    ends = np.full((run.count, int(run.steps.max())), np.nan)
    for member, schedule in enumerate(run.schedules):
        ends[member, : schedule.size] = schedule
    lengths = np.diff(ends, axis=1, prepend=0.0)
    ratios = np.zeros_like(lengths)
    ratios[:, 1:] = lengths[:, 1:] / lengths[:, :-1]
    ratios[~(ratios <= MAX_STEP_RATIO)] = 0.0  # NaN past the end, too
    keys = np.round(lengths, 12) + 1j * np.round(ratios, 12)
    step = 1
    while True:
        active = np.flatnonzero(step <= run.steps)
        if active.size == 0:
            break
        run.split_twins(step, active, keys, ends)
        movers = active[run.twin[active] == active]
        step_keys = keys[movers, step - 1]
        if np.all(step_keys == step_keys[0]):
            run.advance(
                step,
                movers,
                float(lengths[movers[0], step - 1]),
                float(ratios[movers[0], step - 1]),
            )
        else:
            for key in np.unique(step_keys):
                members = movers[step_keys == key]
                run.advance(
                    step,
                    members,
                    float(lengths[members[0], step - 1]),
                    float(ratios[members[0], step - 1]),
                )
        run.end_twins(step, ends)
        if step_callback is not None:
            step_callback(ends[active, step - 1])
        step += 1
    run.backend.synchronize()
    ordered = run.results(time.perf_counter() - started)
    results: list[LesionResult] = [ordered[0]] * len(protocols)
    for position, index in enumerate(order):
        results[index] = ordered[position]
    return results
