"""The lesion surrogate: interpolation, fallback to the solver, cache key, corrupt files.

A small table (3 x 3 x 3 runs, tip 8-12 mm x 70-80 C x 60-120 s) on a coarse grid is
built once per module (about a second); the references are the engine's own runs at
held-out settings and, for the interpolation itself, a tricubic polynomial.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rhizo.physics import CLINICAL_TISSUE, GridSettings, LesionProtocol, simulate, surrogate_cache
from rhizo.physics.surrogate import (
    QUANTITIES,
    LesionAnswer,
    SurrogateTable,
    TableAxes,
    TableSpec,
)
from rhizo.physics.surrogate_build import compare
from rhizo.physics.surrogate_cache import LesionTables, load_table, table_key
from rhizo.physics.tissue import get_tissue

COARSE = GridSettings(
    radial_cell_mm=0.4,
    axial_cell_mm=0.8,
    fine_zone_mm=4.0,
    far_boundary_mm=25.0,
    edge_refinement=1.0,
    time_step_s=2.0,
    max_time_step_s=8.0,
)
AXES = TableAxes(
    tip_length_mm=(8.0, 10.0, 12.0),
    set_temperature_c=(70.0, 75.0, 80.0),
    duration_s=(60.0, 90.0, 120.0),
)
#: Stated bound for this small table: 1 % on width and length (the clinical table's
#: target; measured here ~0.3 %), 2 % on the radius profile (relative L1, see compare).
WIDTH_BOUND = 0.01
PROFILE_BOUND = 0.02


def protocol(**changes: object) -> LesionProtocol:
    values: dict[str, object] = {
        "tissue": CLINICAL_TISSUE,
        "grid": COARSE,
        "tip_length_mm": 9.3,
        "set_temperature_c": 77.0,
        "duration_s": 100.0,
    }
    values.update(changes)
    return LesionProtocol.model_validate(values)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lesion-tables")


@pytest.fixture(scope="module")
def tables(cache_dir: Path) -> LesionTables:
    manager = LesionTables(cache_dir=cache_dir, axes=AXES, grid=COARSE, held_out_points=4)
    spec = manager.spec(gauge=18, tip_kind="blunt", tissue=CLINICAL_TISSUE)
    assert manager.table(spec) is not None
    return manager


def spec_of(tables: LesionTables) -> TableSpec:
    return tables.spec(gauge=18, tip_kind="blunt", tissue=CLINICAL_TISSUE)


@pytest.mark.parametrize(
    ("tip", "temp", "time"), [(9.3, 77.0, 100.0), (11.1, 71.5, 66.0), (8.6, 79.0, 115.0)]
)
def test_surrogate_matches_the_solver_at_held_out_settings(
    tables: LesionTables, tip: float, temp: float, time: float
) -> None:
    query = protocol(tip_length_mm=tip, set_temperature_c=temp, duration_s=time)
    answer = tables.answer(query, build=False)
    assert answer.source == "surrogate"
    reference = simulate(query)
    width, length, profile = compare(answer, reference)
    assert width <= WIDTH_BOUND
    assert length <= WIDTH_BOUND
    assert profile <= PROFILE_BOUND
    for name, dims in reference.boundaries.items():
        got = answer.boundaries[name]
        assert got.distal_extension_mm == pytest.approx(dims.distal_extension_mm, abs=0.2)
        assert got.proximal_extension_mm == pytest.approx(dims.proximal_extension_mm, abs=0.2)
        assert got.volume_mm3 == pytest.approx(dims.volume_mm3, rel=0.03)
    assert answer.peak_tissue_temperature_c == pytest.approx(
        reference.peak_tissue_temperature_c, abs=1.0
    )


def test_table_reproduces_its_own_runs_at_the_nodes(tables: LesionTables) -> None:
    query = protocol(tip_length_mm=10.0, set_temperature_c=75.0, duration_s=90.0)
    answer = tables.answer(query, build=False)
    reference = simulate(query)
    assert answer.source == "surrogate"
    for name, dims in reference.boundaries.items():
        assert answer.boundaries[name].width_mm == pytest.approx(dims.width_mm, rel=1e-9)
        assert answer.boundaries[name].length_mm == pytest.approx(dims.length_mm, rel=1e-9)


def test_the_stored_held_out_error_is_the_measured_one(tables: LesionTables) -> None:
    table = tables.table(spec_of(tables), build=False)
    assert table is not None
    assert table.held_out is not None
    assert table.held_out.points == 4
    assert 0.0 < table.held_out.max_width_error_pct <= 100 * WIDTH_BOUND
    answer = tables.answer(protocol(), build=False)
    assert answer.label == (
        f"from the surrogate table (max held-out error {table.held_out.max_width_error_pct:.2f} %)"
    )
    assert answer.provenance() == {
        "source": "surrogate",
        "table_key": table.key,
        "held_out": table.held_out.model_dump(),
    }


def test_interpolation_reproduces_a_tricubic_polynomial() -> None:
    """Not-a-knot splines are exact for cubics: an independent closed-form reference."""
    axes = TableAxes(
        tip_length_mm=(4.0, 6.0, 9.0, 12.0, 18.0),
        set_temperature_c=(60.0, 70.0, 75.0, 85.0, 95.0),
        duration_s=(30.0, 45.0, 80.0, 120.0, 180.0),
    )

    def poly(tip: float, temp: float, time: float) -> float:
        u = np.log(time)
        return float(
            1
            + 0.3 * tip**3
            - 0.02 * temp**2 * tip
            + 0.5 * u**3
            - 0.1 * u * temp
            + 2e-4 * tip * temp * u
        )

    grid = np.array(
        [
            [[poly(a, b, c) for c in axes.duration_s] for b in axes.set_temperature_c]
            for a in axes.tip_length_mm
        ]
    )
    values = np.repeat(grid[..., None], QUANTITIES, axis=-1)
    spec = TableSpec(base=protocol(), axes=axes)
    table = SurrogateTable(
        spec=spec,
        key="synthetic",
        values=values,
        usable=np.ones(axes.shape, dtype=bool),
        held_out=None,
        build_s=0.0,
    )
    rng = np.random.default_rng(3)
    for _ in range(20):
        tip, temp = rng.uniform(4, 18), rng.uniform(60, 95)
        time = float(np.exp(rng.uniform(np.log(30), np.log(180))))
        got = table.interpolate(spec.protocol(tip, temp, time))
        assert got[0] == pytest.approx(poly(tip, temp, time), rel=1e-9, abs=1e-9)


def test_outside_the_box_the_solver_answers_and_says_so(tables: LesionTables) -> None:
    for query, words in (
        (protocol(duration_s=200.0), "outside the table"),
        (protocol(tip_length_mm=5.0), "outside the table"),
        (protocol(set_temperature_c=85.0), "outside the table"),
        (protocol(ramp_s=10.0), "ramp_s"),
        (protocol(grid=GridSettings()), "grid"),
        (protocol(gauge=16), "no lesion table"),
    ):
        answer = tables.answer(query, build=False)
        assert answer.source == "solver"
        assert words in answer.reason
        assert answer.result is not None
        assert answer.lesion == answer.result.lesion
        assert answer.provenance() == {"source": "solver", "reason": answer.reason}
        assert answer.label.startswith("solved (")


def test_a_custom_tissue_is_not_tabulated(tables: LesionTables) -> None:
    tissue = get_tissue(CLINICAL_TISSUE)
    changed = tissue.model_copy(
        update={"thermal_conductivity_w_per_m_k": tissue.thermal_conductivity_w_per_m_k * 1.1}
    )
    answer = tables.answer(protocol(tissue=changed), build=False)
    assert answer.source == "solver"
    assert "tissue" in answer.reason


def test_a_warned_neighbour_sends_the_query_to_the_solver(tables: LesionTables) -> None:
    table = tables.table(spec_of(tables), build=False)
    assert table is not None
    usable = table.usable.copy()
    usable[0, 2, 0] = False  # tip 8 mm, 80 C, 60 s: as if tissue had boiled there
    flagged = SurrogateTable(
        spec=table.spec,
        key=table.key,
        values=table.values,
        usable=usable,
        held_out=table.held_out,
        build_s=table.build_s,
    )
    near = protocol(tip_length_mm=8.5, set_temperature_c=79.0, duration_s=70.0)
    reason = flagged.answer(near)
    assert isinstance(reason, str)
    assert "warned" in reason
    assert isinstance(table.answer(near), LesionAnswer)
    # Only the corners of the query's table cell count as its neighbours.
    elsewhere = protocol(tip_length_mm=11.0, set_temperature_c=79.0, duration_s=70.0)
    assert isinstance(flagged.answer(elsewhere), LesionAnswer)
    hot = table.values.copy()
    hot[..., -1] = 101.0  # every run's peak tissue temperature past boiling
    boiling = SurrogateTable(
        spec=table.spec, key=table.key, values=hot, usable=table.usable, held_out=None, build_s=0
    )
    reason = boiling.answer(near)
    assert isinstance(reason, str)
    assert "of boiling (100 C)" in reason


def test_every_physics_input_changes_the_cache_key() -> None:
    spec = TableSpec(base=protocol(), axes=AXES)
    key = table_key(spec, source_hash="a")
    tissue = get_tissue(CLINICAL_TISSUE)
    variants = [
        TableSpec(base=protocol(grid=GridSettings()), axes=AXES),
        TableSpec(base=protocol(tissue="muscle-ex-vivo"), axes=AXES),
        TableSpec(
            base=protocol(
                tissue=tissue.model_copy(
                    update={"specific_heat_j_per_kg_k": tissue.specific_heat_j_per_kg_k + 1}
                )
            ),
            axes=AXES,
        ),
        TableSpec(base=protocol(damage=get_tissue("liver-ex-vivo").damage), axes=AXES),
        TableSpec(base=protocol(max_power_w=30.0), axes=AXES),
        TableSpec(base=protocol(series_resistance_ohm=50.0), axes=AXES),
        TableSpec(base=protocol(gauge=20), axes=AXES),
        TableSpec(base=protocol(tip_kind="sharp"), axes=AXES),
        TableSpec(base=protocol(), axes=AXES.model_copy(update={"duration_s": (60.0, 120.0)})),
    ]
    keys = {table_key(v, source_hash="a") for v in variants}
    assert key not in keys
    assert len(keys) == len(variants)
    assert table_key(spec, source_hash="b") != key
    assert table_key(spec, source_hash="a", held_out_points=5) != key
    # The axis values of the base itself do not matter (they are the table's axes).
    assert (
        table_key(TableSpec(base=protocol(tip_length_mm=12.0), axes=AXES), source_hash="a") == key
    )


def test_the_package_version_and_physics_sources_enter_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = TableSpec(base=protocol(), axes=AXES)
    key = table_key(spec)
    assert len(surrogate_cache.physics_source_hash()) == 64
    monkeypatch.setattr(surrogate_cache, "__version__", "999")
    assert table_key(spec) != key
    monkeypatch.undo()
    surrogate_cache.physics_source_hash.cache_clear()
    monkeypatch.setattr(surrogate_cache, "physics_source_hash", lambda: "0" * 64)
    assert table_key(spec) != key


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = surrogate_cache.build_table

    def counting(*args: object, **kwargs: object) -> SurrogateTable:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(surrogate_cache, "build_table", counting)
    return calls


def test_a_saved_table_is_loaded_not_rebuilt(
    tables: LesionTables, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_builds(monkeypatch)
    fresh = LesionTables(cache_dir=cache_dir, axes=AXES, grid=COARSE, held_out_points=4)
    answer = fresh.answer(protocol())
    assert answer.source == "surrogate"
    assert calls == []
    assert answer.lesion == tables.answer(protocol()).lesion


@pytest.mark.parametrize("damage", ["garbage", "tampered", "other-key"])
def test_a_corrupt_cache_file_is_rebuilt_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables: LesionTables, damage: str
) -> None:
    source = tables.path(spec_of(tables))
    manager = LesionTables(cache_dir=tmp_path, axes=AXES, grid=COARSE, held_out_points=4)
    spec = spec_of(manager)
    target = manager.path(spec)
    if damage == "garbage":
        target.write_bytes(b"PK\x03\x04 not a table")
    elif damage == "tampered":
        with np.load(source) as data:
            arrays = {name: data[name] for name in data.files}
        arrays["values"] = arrays["values"] * 1.5  # checksum no longer matches
        with target.open("wb") as stream:
            np.savez(stream, **arrays)
    else:
        with np.load(source) as data:
            arrays = {name: data[name] for name in data.files}
        meta = str(arrays["meta"]).replace(manager.key(spec), "f" * 64)
        arrays["meta"] = np.asarray(meta)
        with target.open("wb") as stream:
            np.savez(stream, **arrays)
    assert isinstance(load_table(target, key=manager.key(spec), spec=spec), str)
    calls = _count_builds(monkeypatch)
    assert manager.answer(protocol(), build=False).source == "solver"
    answer = manager.answer(protocol())
    assert calls == [1]
    assert answer.source == "surrogate"
    assert isinstance(load_table(target, key=manager.key(spec), spec=spec), SurrogateTable)


def test_without_build_a_missing_table_is_not_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_builds(monkeypatch)
    manager = LesionTables(cache_dir=tmp_path, axes=AXES, grid=COARSE, held_out_points=4)
    answer = manager.answer(protocol(), build=False)
    assert answer.source == "solver"
    assert "no lesion table" in answer.reason
    assert calls == []
    assert not any(tmp_path.iterdir())


def test_the_default_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RHIZO_CACHE_DIR", str(tmp_path))
    assert surrogate_cache.default_cache_dir() == tmp_path / "lesion-tables"
    monkeypatch.delenv("RHIZO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert surrogate_cache.default_cache_dir() == tmp_path / "xdg" / "rhizo" / "lesion-tables"


def test_axes_must_increase() -> None:
    with pytest.raises(ValueError, match="increase strictly"):
        TableAxes(tip_length_mm=(10.0, 8.0), set_temperature_c=(70.0, 80.0), duration_s=(60, 90))


def test_cli_builds_then_lists_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    from functools import partial

    from rhizo.cli import lesion_table, main

    monkeypatch.setenv("RHIZO_CACHE_DIR", str(tmp_path))
    small = partial(LesionTables, axes=AXES, grid=COARSE, held_out_points=2)
    monkeypatch.setattr(lesion_table, "LesionTables", small)
    args = ["--gauge", "18", "--tip-kind", "blunt", "--tissue", CLINICAL_TISSUE]
    assert main(["lesion-table", "list", *args, "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["tables"][0]["built"] is False
    assert main(["lesion-table", "build", *args]) == 0
    out = capsys.readouterr().out
    assert "18 G blunt, muscle-in-vivo" in out
    assert "max held-out width error" in out
    assert main(["lesion-table", "list", *args, "--json"]) == 0
    after = json.loads(capsys.readouterr().out)["tables"][0]
    assert after["built"] is True
    assert after["key"] == before["tables"][0]["key"]
    assert 0 < after["max_held_out_width_error_pct"] < 100 * WIDTH_BOUND


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--gauge", "17"], "--gauge: 17 is not allowed; allowed gauges: 16, 18, 20, 22"),
        (["--tip-kind", "round"], "--tip-kind: 'round' is not allowed"),
        (["--tissue", "bone"], "--tissue: 'bone' is not allowed; allowed tissues:"),
        (["--backend", "tpu"], "--backend: 'tpu' is not allowed; allowed: numpy, cupy"),
    ],
)
def test_cli_refuses_bad_input_with_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from rhizo.cli import main

    assert main(["lesion-table", "build", *args]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_the_planner_uses_a_built_table_and_says_so(tables: LesionTables) -> None:
    from rhizo.planning import lesions

    lesions.clear_cache()
    inside, outside = protocol(), protocol(duration_s=200.0)
    profile = lesions.lesion_for(inside, tables=tables)
    assert profile.source == "surrogate"
    assert profile.provenance.startswith("from the surrogate table (max held-out error ")
    answer = tables.answer(inside, build=False)
    assert profile.dimensions == answer.lesion
    reference = simulate(inside)
    z, radius = reference.radius_profile_m("arrhenius")
    # The captured geometry is the engine's within the profile bound (relative L1).
    difference = np.abs(profile.radius_at(z) - radius).sum() / radius.sum()
    assert difference <= 2 * PROFILE_BOUND  # sampled at the engine's rows only
    assert profile.tip_length_m == pytest.approx(inside.tip_length_mm * 1e-3)
    solved = lesions.lesion_for(outside, tables=tables)
    assert solved.source == "solver"
    assert "outside the table" in solved.provenance
    lesions.clear_cache()
    assert lesions.prefetch_lesions([inside, outside], tables=tables) == 1
    assert lesions.lesion_for(inside, tables=tables).source == "surrogate"
    lesions.clear_cache()


def test_rhizo_lesion_surrogate_says_which_source_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``rhizo lesion --surrogate`` builds a missing table, answers from it, else solves."""
    import json
    from functools import partial

    from rhizo.cli import main

    small = TableAxes(
        tip_length_mm=(9.0, 11.0), set_temperature_c=(75.0, 80.0), duration_s=(80.0, 100.0)
    )
    manager = partial(LesionTables, cache_dir=tmp_path, axes=small, held_out_points=1)
    monkeypatch.setattr(surrogate_cache, "LesionTables", manager)
    base = ["lesion", "--tissue", CLINICAL_TISSUE, "--tip-mm", "10", "--temp-c", "78"]
    assert main([*base, "--time-s", "90", "--surrogate", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["provenance"]["source"] == "surrogate"
    tabulated = manager().answer(
        LesionProtocol(
            tissue=CLINICAL_TISSUE, tip_length_mm=10, set_temperature_c=78, duration_s=90
        ),
        build=False,
    )
    assert payload["width_mm"] == pytest.approx(tabulated.lesion.width_mm, rel=1e-12)
    assert payload["provenance"]["table_key"] == tabulated.table_key
    assert main([*base, "--time-s", "200", "--surrogate", "--json"]) == 0
    solved = json.loads(capsys.readouterr().out)
    assert solved["provenance"]["source"] == "solver"
    assert "outside the table" in solved["provenance"]["reason"]
    assert main([*base, "--time-s", "90", "--surrogate"]) == 0
    assert "source: from the surrogate table (max held-out error" in capsys.readouterr().out
    assert main([*base, "--time-s", "90"]) == 0
    assert "source: solved (solver requested)" in capsys.readouterr().out
    plot = str(tmp_path / "map.png")
    assert main([*base, "--time-s", "90", "--surrogate", "--plot", plot]) == 2
    assert "needs the solver" in capsys.readouterr().err


def test_an_unwritable_cache_keeps_the_table_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    manager = LesionTables(cache_dir=blocker / "tables", axes=AXES, grid=COARSE, held_out_points=1)
    assert manager.answer(protocol()).source == "surrogate"
    assert "not cached" in caplog.text
