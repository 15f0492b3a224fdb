"""``rhizo lesion-table``: build the surrogate lesion tables ahead of use, or list them.

A table per (gauge, tip kind, tissue) is 448 engine runs plus its held-out check
(about a minute of CPU each, less on a GPU with ``--backend cupy``); the planner and
the web planner page use a table only once it is built (``rhizo.physics.surrogate``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from rhizo.cli._errors import fail
from rhizo.physics import CLINICAL_TISSUE, GAUGE_OUTER_DIAMETER_MM, TISSUES

if TYPE_CHECKING:
    from rhizo.physics.surrogate import SurrogateTable, TableSpec
    from rhizo.physics.surrogate_cache import LesionTables


def __getattr__(name: str) -> Any:
    """``LesionTables``, imported when first asked for (tests replace it here)."""
    if name == "LesionTables":
        from rhizo.physics.surrogate_cache import LesionTables

        return LesionTables
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _tables(**options: Any) -> LesionTables:
    """A lesion-table manager: the tables (and the engine) pull in SciPy, about 0.9 s of
    CPU, so they are imported when a ``lesion-table`` command runs, not with the CLI."""
    factory = globals().get("LesionTables") or __getattr__("LesionTables")
    tables: LesionTables = factory(**options)
    return tables


table_app = typer.Typer(
    help="Surrogate lesion tables: build them ahead of use, or list them.",
    no_args_is_help=True,
)
TIP_KINDS = ("blunt", "sharp")


def _specs(
    tables: LesionTables, gauges: list[int], tip_kinds: list[str], tissues: list[str]
) -> list[TableSpec]:
    for gauge in gauges:
        if gauge not in GAUGE_OUTER_DIAMETER_MM:
            allowed = ", ".join(str(g) for g in GAUGE_OUTER_DIAMETER_MM)
            fail("--gauge", gauge, f"allowed gauges: {allowed}")
    for kind in tip_kinds:
        if kind not in TIP_KINDS:
            fail("--tip-kind", kind, f"allowed: {', '.join(TIP_KINDS)}")
    for tissue in tissues:
        if tissue not in TISSUES:
            fail("--tissue", tissue, f"allowed tissues: {', '.join(sorted(TISSUES))}")
    return [
        tables.spec(gauge=gauge, tip_kind=kind, tissue=tissue)
        for tissue in tissues
        for gauge in gauges
        for kind in tip_kinds
    ]


GaugeOption = Annotated[
    list[int] | None, typer.Option("--gauge", help="gauge(s): 16, 18, 20, 22 (default 18)")
]
TipKindOption = Annotated[
    list[str] | None, typer.Option("--tip-kind", help="blunt and/or sharp (default blunt)")
]
TissueOption = Annotated[
    list[str] | None,
    typer.Option("--tissue", help=f"tissue(s) (default {CLINICAL_TISSUE}, the planner's)"),
]


def build_with_progress(tables: LesionTables, spec: TableSpec, *, title: str) -> SurrogateTable:
    """The table of ``spec``, built (if not in memory or on disk) under a progress bar."""
    with Progress(
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lesions"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("build", total=spec.axes.size)

        def report(done: int, total: int, task_id: TaskID = task) -> None:
            progress.update(task_id, completed=done, total=total)

        table = tables.table(spec, progress=report)
    assert table is not None  # noqa: S101 -- build=True always gives a table
    return table


@table_app.command("build")
def build(
    gauge: GaugeOption = None,
    tip_kind: TipKindOption = None,
    tissue: TissueOption = None,
    backend: Annotated[str, typer.Option(help="numpy (CPU) or cupy (CUDA GPU)")] = "numpy",
) -> None:
    """Build (or find already built) the tables of the given cannulae and tissues."""
    if backend not in ("numpy", "cupy"):
        fail("--backend", backend, "allowed: numpy, cupy")
    tables = _tables(backend=backend)
    specs = _specs(tables, gauge or [18], tip_kind or ["blunt"], tissue or [CLINICAL_TISSUE])
    for spec in specs:
        table = build_with_progress(tables, spec, title=spec.label)
        error = table.held_out
        bound = f"max held-out width error {error.max_width_error_pct:.2f} %" if error else ""
        typer.echo(f"{spec.label}: {tables.path(spec)} ({table.build_s:.0f} s; {bound})")


@table_app.command("list")
def list_tables(
    gauge: GaugeOption = None,
    tip_kind: TipKindOption = None,
    tissue: TissueOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Which tables are built for the current physics (default: every cannula, every tissue)."""
    from rhizo.physics.surrogate import DEFAULT_AXES
    from rhizo.physics.surrogate_cache import load_table

    tables = _tables()
    specs = _specs(
        tables,
        gauge or list(GAUGE_OUTER_DIAMETER_MM),
        tip_kind or list(TIP_KINDS),
        tissue or sorted(TISSUES),
    )
    rows = []
    for spec in specs:
        loaded = load_table(tables.path(spec), key=tables.key(spec), spec=spec)
        built = not isinstance(loaded, str)
        held = None if isinstance(loaded, str) or loaded.held_out is None else loaded.held_out
        rows.append(
            {
                "table": spec.label,
                "built": built,
                "key": tables.key(spec),
                "max_held_out_width_error_pct": held.max_width_error_pct if held else None,
                "status": "built" if built else loaded,
            }
        )
    if as_json:
        payload = {
            "cache_dir": str(tables.cache_dir),
            "box": DEFAULT_AXES.describe(),
            "tables": rows,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    view = Table(title=f"Lesion tables in {tables.cache_dir} ({DEFAULT_AXES.describe()})")
    for heading in ("table", "status", "max held-out width error", "key"):
        view.add_column(heading)
    for row in rows:
        error = row["max_held_out_width_error_pct"]
        view.add_row(
            str(row["table"]),
            str(row["status"]),
            f"{error:.2f} %" if isinstance(error, float) else "",
            str(row["key"])[:12],
        )
    Console().print(view)


def register(app: typer.Typer) -> None:
    """Add ``lesion-table build|list`` to the main app."""
    app.add_typer(table_app, name="lesion-table")
