"""The batched engine reproduces the single-lesion engine, lesion by lesion.

Reference: :func:`rhizo.physics.simulate`, itself verified against the exact
solutions B1, B4, B6, B9 and B10 (docs/validation.md). The batch advances the
same equations with a different linear solver for the potential
(preconditioned CG to 1e-10 instead of SuperLU), so dimensions, energies and
traces agree to solver precision, far inside the engine's 1 % grid error.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import LesionProtocol, get_tissue, simulate
from rhizo.physics.batch import simulate_batch, simulate_sweep
from rhizo.physics.result import LesionResult
from tests.conftest import has_cupy

PROGRAMS = (
    {"set_temperature_c": 80.0, "duration_s": 90.0},
    {"set_temperature_c": 60.0, "duration_s": 30.0, "ramp_s": 0.0},
    # A low power limit binds: the controller must clip V^2 exactly as the engine does.
    {"set_temperature_c": 90.0, "duration_s": 60.0, "max_power_w": 3.0},
    {"set_temperature_c": 85.0, "duration_s": 45.0, "series_resistance_ohm": 50.0},
)


def _close(batched: object, single: object) -> None:
    for name in ("arrhenius", "isotherm_50c", "isotherm_45c"):
        got = batched.boundaries[name]  # type: ignore[attr-defined]
        want = single.boundaries[name]  # type: ignore[attr-defined]
        assert got.width_mm == pytest.approx(want.width_mm, rel=1e-6, abs=1e-9), name
        assert got.length_mm == pytest.approx(want.length_mm, rel=1e-6, abs=1e-9), name
        assert got.volume_mm3 == pytest.approx(want.volume_mm3, rel=1e-6, abs=1e-9), name
    assert batched.energy_j == pytest.approx(single.energy_j, rel=1e-6)  # type: ignore[attr-defined]
    for trace in ("tip_temperature_c", "power_w", "impedance_ohm", "voltage_v"):
        np.testing.assert_allclose(
            getattr(batched.traces, trace),  # type: ignore[attr-defined]
            getattr(single.traces, trace),  # type: ignore[attr-defined]
            rtol=1e-6,
            atol=1e-9,
            err_msg=trace,
        )


def test_batch_matches_the_single_lesion_engine_for_each_program() -> None:
    protocols = [LesionProtocol(gauge=18, tip_length_mm=10, **program) for program in PROGRAMS]
    batched = simulate_batch(protocols)
    for protocol, result in zip(protocols, batched, strict=True):
        assert result.protocol is protocol
        single = simulate(protocol)
        _close(result, single)
        # Each lesion ran its own number of steps and re-solved on its own schedule.
        assert len(result.traces.time_s) == len(single.traces.time_s)
        assert result.diagnostics["potential_solves"] == single.diagnostics["potential_solves"]
    assert batched[2].max_power_w == pytest.approx(3.0)  # the limit bound


def test_sweep_groups_mixed_cannulas_and_keeps_the_order() -> None:
    protocols = [
        LesionProtocol(gauge=22, tip_length_mm=5, set_temperature_c=80, duration_s=20),
        LesionProtocol(gauge=16, tip_length_mm=10, set_temperature_c=80, duration_s=20),
        LesionProtocol(gauge=22, tip_length_mm=5, set_temperature_c=70, duration_s=20),
    ]
    seen: list[tuple[int, int]] = []
    results = simulate_sweep(protocols, max_batch=1, progress=lambda d, t: seen.append((d, t)))
    assert [r.protocol for r in results] == protocols
    assert seen[-1] == (3, 3)
    for protocol, result in zip(protocols, results, strict=True):
        _close(result, simulate(protocol))
    # A bigger cannula makes a bigger lesion at the same program (engine and literature).
    assert results[1].lesion.width_mm > results[0].lesion.width_mm


def test_batch_refuses_what_it_cannot_share() -> None:
    with pytest.raises(ValueError, match="at least one lesion"):
        simulate_batch([])
    with pytest.raises(ValueError, match=r"protocols\[1\]\.gauge differs"):
        simulate_batch([LesionProtocol(gauge=18), LesionProtocol(gauge=20)])
    with pytest.raises(ValueError, match="allowed: numpy, cupy"):
        simulate_batch([LesionProtocol()], backend="opencl")
    with pytest.raises(ValueError, match="max_batch"):
        simulate_sweep([LesionProtocol()], max_batch=0)


def test_adiabatic_metal_batches_like_the_single_engine() -> None:
    # Benchmark B4's setting (metal removed from the heat problem, clamped cells).
    protocols = [
        LesionProtocol(metal_conducts_heat=False, duration_s=20, set_temperature_c=t)
        for t in (60.0, 70.0)
    ]
    for protocol, result in zip(protocols, simulate_batch(protocols), strict=True):
        _close(result, simulate(protocol))


@pytest.mark.skipif(has_cupy, reason="CuPy is installed here")
def test_asking_for_the_gpu_without_cupy_says_how_to_get_it() -> None:
    with pytest.raises(RuntimeError, match=r"rhizo\[gpu\]"):
        simulate_batch([LesionProtocol()], backend="cupy")


def _in_vivo(model: str) -> LesionProtocol:
    tissue = get_tissue("muscle-in-vivo").model_copy(update={"perfusion_model": model})
    return LesionProtocol(tissue=tissue, duration_s=60.0)


def test_perfusion_falls_where_tissue_coagulates_in_both_engines() -> None:
    # Pennes sink W f(Omega) (T - T_a): f = 1 ('constant') keeps the most heat out;
    # exp(-Omega) and 'stop' at Omega >= 1 (Tissue.perfusion_fraction) remove less.
    results = {
        model: simulate(_in_vivo(model)) for model in ("constant", "vascular_stasis", "stop")
    }
    constant = results["constant"]
    for model in ("vascular_stasis", "stop"):
        assert results[model].lesion.width_mm > constant.lesion.width_mm
        assert (
            results[model].diagnostics["perfusion_loss_j"]
            < constant.diagnostics["perfusion_loss_j"]
        )
        d = results[model].diagnostics
        accounted = d["stored_energy_j"] + d["boundary_loss_j"] + d["perfusion_loss_j"]
        assert accounted == pytest.approx(d["joule_energy_in_grid_j"], rel=1e-6)
    protocols = [_in_vivo("stop"), _in_vivo("stop").model_copy(update={"set_temperature_c": 70.0})]
    for protocol, result in zip(protocols, simulate_batch(protocols), strict=True):
        _close(result, simulate(protocol))


def test_explicit_perfusion_change_converges_in_time() -> None:
    # The change of perfusion is applied from the start of each step; with steps / 4 the
    # width moves by well under the engine's 1 % grid error.
    protocol = _in_vivo("stop")
    fine = protocol.model_copy(
        update={
            "grid": protocol.grid.model_copy(update={"time_step_s": 0.25, "max_time_step_s": 1.0})
        }
    )
    assert simulate(protocol).lesion.width_mm == pytest.approx(
        simulate(fine).lesion.width_mm, rel=0.01
    )


def test_block_solver_matches_a_sparse_direct_solve() -> None:
    # The batch's many-column heat solve against SciPy's spsolve on the same matrix.
    import scipy.sparse.linalg as spla

    from rhizo.physics.blocksolve import BLOCK_MIN_COLUMNS, BlockTridiagonalSolver, solver
    from rhizo.physics.model import lesion_model

    model = lesion_model(LesionProtocol(gauge=22, tip_length_mm=5))
    matrix = model.heat(4.0).free_matrix
    rhs = np.random.default_rng(7).random((matrix.shape[0], BLOCK_MIN_COLUMNS))
    reference = spla.spsolve(matrix.tocsc(), rhs)
    block = BlockTridiagonalSolver(matrix, model.grid.shape).solve(rhs)
    np.testing.assert_allclose(block, reference, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(solver(matrix, model.grid.shape)(rhs), reference, rtol=1e-9)
    np.testing.assert_allclose(solver(matrix)(rhs[:, :1]), reference[:, :1], rtol=1e-9)


def _common_prefix(first: np.ndarray, second: np.ndarray) -> int:
    """Leading steps two schedules share (equal end times)."""
    size = min(first.size, second.size)
    differ = np.flatnonzero(first[:size] != second[:size])
    return int(differ[0]) if differ.size else size


def _equal_to_rounding(batched: LesionResult, single: LesionResult) -> None:
    for name, want in single.boundaries.items():
        got = batched.boundaries[name]
        for field in ("width_mm", "length_mm", "distal_extension_mm", "volume_mm3"):
            assert getattr(got, field) == pytest.approx(
                getattr(want, field), rel=1e-12, abs=1e-12
            ), (name, field)
    np.testing.assert_array_equal(batched.traces.time_s, single.traces.time_s)
    for trace in ("tip_temperature_c", "power_w", "impedance_ohm", "voltage_v"):
        np.testing.assert_allclose(
            getattr(batched.traces, trace), getattr(single.traces, trace), rtol=1e-12, atol=0
        )
    for name in ("electrical_energy_j", "stored_energy_j", "potential_solves"):
        assert batched.diagnostics[name] == pytest.approx(single.diagnostics[name], rel=1e-12)
    assert batched.warnings == single.warnings
    np.testing.assert_allclose(batched.log10_omega, single.log10_omega, rtol=1e-10, atol=1e-10)


def test_programs_that_differ_only_in_duration_share_their_common_steps() -> None:
    # 80 C at 30, 45 and 90 s take the same first steps (same set point, ramp and
    # limits); each shorter one departs at its last step. The reference for each is
    # its own single-lesion run, and the shared count is the schedules' common prefix.
    protocols = [
        LesionProtocol(set_temperature_c=80.0, duration_s=d) for d in (30.0, 90.0, 45.0)
    ] + [
        LesionProtocol(set_temperature_c=70.0, duration_s=30.0),  # another set point
        LesionProtocol(set_temperature_c=80.0, duration_s=45.0, max_power_w=4.0),  # limit
    ]
    singles = [simulate(p) for p in protocols]
    batched = simulate_batch(protocols)
    for result, single in zip(batched, singles, strict=True):
        _equal_to_rounding(result, single)
    longest = singles[1].traces.time_s
    assert batched[1].diagnostics["shared_steps"] == 0  # it carries the state
    for index in (0, 2):
        shared = _common_prefix(singles[index].traces.time_s, longest)
        assert 0 < shared <= singles[index].traces.time_s.size
        assert batched[index].diagnostics["shared_steps"] == shared
    # Different set point or limits: never shared.
    assert batched[3].diagnostics["shared_steps"] == 0
    assert batched[4].diagnostics["shared_steps"] == 0


def test_twins_that_boil_stop_with_the_lesion_they_share() -> None:
    # A sharp tip at 90 C passes 100 C near the ramp's end (test_boiling); with
    # stop_at_boiling the shorter twin stops at the same step as its own run does.
    protocols = [
        LesionProtocol(tip_kind="sharp", set_temperature_c=90.0, duration_s=d) for d in (20.0, 60.0)
    ]
    singles = [simulate(p, stop_at_boiling=True) for p in protocols]
    batched = simulate_batch(protocols, stop_at_boiling=True)
    for result, single in zip(batched, singles, strict=True):
        assert single.simulated_s < 16.0  # stopped at boiling, not at the program's end
        _equal_to_rounding(result, single)
    assert batched[0].diagnostics["shared_steps"] == singles[0].traces.time_s.size
