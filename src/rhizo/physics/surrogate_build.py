"""Build a lesion table with the batched engine and measure its held-out error.

Every run of the box (:class:`rhizo.physics.surrogate.TableAxes`) goes through
:func:`rhizo.physics.batch.simulate_sweep` (one batch per tip length, in lock step on
``backend``). Then ``held_out_points`` settings drawn uniformly at random in the box
(tip and T uniform, t uniform in ln t; seeded, so a rebuild draws the same points)
are solved by the engine and answered by the table; the largest relative width and
length errors over every boundary, and the largest relative L1 difference of the
Arrhenius radius profile (:func:`compare`), are the table's error bound
(:class:`HeldOutError`). Points the table refuses (a neighbour warned) or where the
engine warned are not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from rhizo.physics.batch import simulate_sweep
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.result import LesionResult
from rhizo.physics.surrogate import (
    BOUNDARIES,
    QUANTITIES,
    HeldOutError,
    LesionAnswer,
    SurrogateTable,
    TableSpec,
    run_vector,
)

ProgressCallback = Callable[[int, int], None]

#: Held-out settings solved at build to measure a table's error.
HELD_OUT_POINTS = 32
HELD_OUT_SEED = 20261201


def held_out_protocols(spec: TableSpec, *, points: int, seed: int) -> list[LesionProtocol]:
    """Random settings inside the box (uniform in tip, T and ln t), reproducible."""
    rng = np.random.default_rng(seed)
    axes = spec.axes
    tips = rng.uniform(axes.tip_length_mm[0], axes.tip_length_mm[-1], points)
    temps = rng.uniform(axes.set_temperature_c[0], axes.set_temperature_c[-1], points)
    times = np.exp(rng.uniform(np.log(axes.duration_s[0]), np.log(axes.duration_s[-1]), points))
    return [
        spec.protocol(float(tip), float(temp), float(duration))
        for tip, temp, duration in zip(tips, temps, times, strict=True)
    ]


def compare(answer: LesionAnswer, result: LesionResult) -> tuple[float, float, float]:
    """(max relative width error, max relative length error, relative profile error).

    Widths and lengths over every boundary. The profile error is the L1 distance of
    the Arrhenius radius profiles relative to the engine's, int |R_s - R_e| dz /
    int R_e dz (both profiles linear between their points), on 4001 points spanning
    both: a max |R_s - R_e| at fixed z would mostly measure the engine's end rows,
    where R falls to 0 within one axial cell (the ends are in the length error).
    """
    width = max(
        abs(answer.boundaries[name].width_mm / result.boundaries[name].width_mm - 1.0)
        for name in BOUNDARIES
    )
    length = max(
        abs(answer.boundaries[name].length_mm / result.boundaries[name].length_mm - 1.0)
        for name in BOUNDARIES
    )
    z_rows, radius_rows = result.radius_profile_m("arrhenius")
    z_table, radius_table = answer.profiles_m["arrhenius"]
    z = np.linspace(min(z_rows[0], z_table[0]), max(z_rows[-1], z_table[-1]), 4001)
    engine = np.interp(z, z_rows, radius_rows, left=0.0, right=0.0)
    table = np.interp(z, z_table, radius_table, left=0.0, right=0.0)
    profile = float(np.abs(table - engine).sum() / engine.sum())
    return width, length, profile


def measure_held_out(
    table: SurrogateTable, protocols: list[LesionProtocol], results: list[LesionResult]
) -> HeldOutError | None:
    """The table's errors against the engine's ``results`` (None when no point counts)."""
    errors = []
    for protocol, result in zip(protocols, results, strict=True):
        answer = table.answer(protocol)
        if isinstance(answer, str) or result.warnings:
            continue
        errors.append(compare(answer, result))
    if not errors:
        return None
    array = np.asarray(errors)
    return HeldOutError(
        points=len(errors),
        max_width_error_pct=float(array[:, 0].max() * 100),
        mean_width_error_pct=float(array[:, 0].mean() * 100),
        max_length_error_pct=float(array[:, 1].max() * 100),
        max_profile_error_pct=float(array[:, 2].max() * 100),
    )


def build_table(
    spec: TableSpec,
    *,
    key: str,
    backend: str = "numpy",
    progress: ProgressCallback | None = None,
    held_out_points: int = HELD_OUT_POINTS,
    seed: int = HELD_OUT_SEED,
) -> SurrogateTable:
    """Run the engine over the box and the held-out points; the table with its error.

    ``progress(done, total)`` counts finished lesions (box, then held-out points).
    """
    started = time.perf_counter()
    axes = spec.axes
    grid_protocols = [
        spec.protocol(tip, temp, duration)
        for tip in axes.tip_length_mm
        for temp in axes.set_temperature_c
        for duration in axes.duration_s
    ]
    checks = held_out_protocols(spec, points=held_out_points, seed=seed)
    total = len(grid_protocols) + len(checks)

    def report(offset: int) -> ProgressCallback | None:
        if progress is None:
            return None
        return lambda done, _: progress(offset + done, total)

    results = simulate_sweep(grid_protocols, backend=backend, progress=report(0))
    values = np.empty((len(results), QUANTITIES))
    usable = np.empty(len(results), dtype=bool)
    for index, result in enumerate(results):
        values[index], usable[index] = run_vector(result)
    table = SurrogateTable(
        spec=spec,
        key=key,
        values=values.reshape((*axes.shape, QUANTITIES)),
        usable=usable.reshape(axes.shape),
        held_out=None,
        build_s=0.0,
    )
    held_out = None
    if checks:
        check_results = simulate_sweep(checks, backend=backend, progress=report(len(results)))
        held_out = measure_held_out(table, checks, check_results)
    return SurrogateTable(
        spec=spec,
        key=key,
        values=table.values,
        usable=table.usable,
        held_out=held_out,
        build_s=time.perf_counter() - started,
    )
