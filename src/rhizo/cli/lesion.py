"""``rhizo lesion``: simulate one RF heat lesion and report its size."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail, fail_from_validation
from rhizo.physics import (
    GAUGE_OUTER_DIAMETER_MM,
    TISSUES,
    LesionProtocol,
)

if TYPE_CHECKING:
    from rhizo.physics import LesionResult
    from rhizo.physics.surrogate import LesionAnswer


def simulate(protocol: LesionProtocol, **options: Any) -> LesionResult:
    """:func:`rhizo.physics.simulate`, imported when a lesion is solved: the engine pulls
    in SciPy (about 0.9 s of CPU), which every other ``rhizo`` command skips (issue 17)."""
    from rhizo.physics import simulate as solve

    return solve(protocol, **options)


OPTION_NAMES = {
    "gauge": "--gauge",
    "tip_length_mm": "--tip-mm",
    "set_temperature_c": "--temp-c",
    "duration_s": "--time-s",
    "ramp_s": "--ramp-s",
    "tissue": "--tissue",
    "tip_kind": "--tip-kind",
}

#: Runs shorter than this show no progress bar (issue 2: "for runs longer than a second").
PROGRESS_AFTER_S = 1.0


class _LazyProgress:
    """A rich progress bar on stderr that appears only once a run passes one second."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.progress: Progress | None = None
        self.task_id: TaskID | None = None

    def __call__(self, simulated_s: float, total_s: float) -> None:
        if self.progress is None:
            if time.perf_counter() - self.started < PROGRESS_AFTER_S:
                return
            self.progress = Progress(
                TextColumn("simulating"),
                BarColumn(),
                TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task_id = self.progress.add_task("lesion", total=total_s)
        assert self.task_id is not None  # noqa: S101 -- set together with progress
        self.progress.update(self.task_id, completed=simulated_s)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


#: Allowed ranges, checked here so the message names them in clinical units.
RANGES: dict[str, tuple[str, float, float, str]] = {
    "tip_length_mm": ("--tip-mm", 2.0, 20.0, "mm"),
    "set_temperature_c": ("--temp-c", 37.0, 95.0, "C"),
    "duration_s": ("--time-s", 1.0, 600.0, "s"),
    "ramp_s": ("--ramp-s", 0.0, 120.0, "s"),
}

BOUNDARY_LABELS = {
    "arrhenius": "Arrhenius Ω ≥ 1",
    "isotherm_50c": "peak ≥ 50 °C",
    "isotherm_45c": "peak ≥ 45 °C",
}


def _protocol(**values: object) -> LesionProtocol:
    for field, (option, low, high, unit) in RANGES.items():
        value = values[field]
        if not isinstance(value, float) or not low <= value <= high:
            fail(option, value, f"allowed range {low:g}-{high:g} {unit}")
    if values["gauge"] not in GAUGE_OUTER_DIAMETER_MM:
        allowed = ", ".join(str(g) for g in GAUGE_OUTER_DIAMETER_MM)
        fail("--gauge", values["gauge"], f"allowed gauges: {allowed}")
    if values["tissue"] not in TISSUES:
        fail("--tissue", values["tissue"], f"allowed tissues: {', '.join(sorted(TISSUES))}")
    try:
        return LesionProtocol.model_validate(values)
    except ValidationError as error:
        fail_from_validation(error, OPTION_NAMES)


def _table(result: LesionResult | LesionAnswer) -> Table:
    table = Table(title="Lesion dimensions (model estimate; default boundary first)")
    table.add_column("boundary")
    for heading in ("width mm", "length mm", "distal mm", "proximal mm", "volume mm\u00b3"):
        table.add_column(heading, justify="right")
    for name, dims in result.boundaries.items():
        table.add_row(
            BOUNDARY_LABELS[name],
            f"{dims.width_mm:.2f}",
            f"{dims.length_mm:.2f}",
            f"{dims.distal_extension_mm:.2f}",
            f"{dims.proximal_extension_mm:.2f}",
            f"{dims.volume_mm3:.0f}",
        )
    return table


def _check_plot_path(plot: Path) -> None:
    """Refuse a --plot path that cannot be written, before the simulation runs."""
    if plot.suffix.lower() not in {".png", ".svg", ".pdf"}:
        fail("--plot", str(plot), "the file must end in .png, .svg or .pdf")
    folder = plot.parent
    if not folder.is_dir():
        fail("--plot", str(plot), f"the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        fail("--plot", str(plot), f"the folder {str(folder)!r} is not writable")


def lesion(
    gauge: Annotated[int, typer.Option(help="cannula gauge: 16, 18, 20 or 22")] = 18,
    tip_mm: Annotated[float, typer.Option("--tip-mm", help="active tip length, 2-20 mm")] = 10.0,
    temp_c: Annotated[float, typer.Option("--temp-c", help="set temperature, 37-95 C")] = 80.0,
    time_s: Annotated[
        float, typer.Option("--time-s", help="time at set temperature, 1-600 s")
    ] = 90.0,
    ramp_s: Annotated[float, typer.Option("--ramp-s", help="ramp to set point, 0-120 s")] = 15.0,
    tissue: Annotated[
        str, typer.Option(help="tissue model: " + ", ".join(sorted(TISSUES)))
    ] = "chicken-breast-ex-vivo",
    tip_kind: Annotated[str, typer.Option("--tip-kind", help="blunt or sharp")] = "blunt",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="write a PNG: temperature map and generator traces")
    ] = None,
    surrogate: Annotated[
        bool,
        typer.Option(
            "--surrogate",
            help="answer from the lesion table when the setting is tabulated (built first "
            "if missing, about a minute); the solver otherwise, and the output says which",
        ),
    ] = False,
) -> None:
    """Simulate a temperature-controlled RF lesion around a monopolar cannula."""
    protocol = _protocol(
        gauge=gauge,
        tip_length_mm=tip_mm,
        set_temperature_c=temp_c,
        duration_s=time_s,
        ramp_s=ramp_s,
        tissue=tissue,
        tip_kind=tip_kind,
    )
    if plot is not None:
        _check_plot_path(plot)
    reason = "solver requested"
    if surrogate:
        if plot is not None:
            fail("--plot", str(plot), "the temperature map needs the solver: drop --surrogate")
        from rhizo.physics.surrogate import LesionAnswer

        found = _surrogate_answer(protocol)
        if isinstance(found, LesionAnswer):
            _print_answer(found, as_json=as_json)
            return
        reason = found
    progress = _LazyProgress()
    try:
        result = simulate(protocol, progress=progress)
    finally:
        progress.close()
    if plot is not None:
        from rhizo.plots.lesion import lesion_figure

        figure = lesion_figure(result)
        figure.savefig(plot, dpi=120)
    if as_json:
        payload = result.to_dict()
        payload["disclaimer"] = DISCLAIMER
        payload["provenance"] = {"source": "solver", "reason": reason}
        if plot is not None:
            payload["plot"] = str(plot)
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console()
    inputs = Table(title="Inputs", show_header=False)
    inputs.add_column("setting")
    inputs.add_column("value")
    for label, value in (
        ("cannula", f"{gauge} G, {tip_mm:g} mm active tip ({tip_kind})"),
        ("set temperature", f"{temp_c:g} \u00b0C after a {ramp_s:g} s ramp"),
        ("time at temperature", f"{time_s:g} s"),
        (
            "tissue",
            f"{protocol.tissue.name} from {protocol.tissue.initial_temperature_c:g} \u00b0C",
        ),
        ("lesion edge", f"{protocol.lesion_boundary_definition} ({protocol.damage.name})"),
    ):
        inputs.add_row(label, value)
    console.print(inputs)
    console.print(_table(result))
    console.print(
        f"peak power {result.max_power_w:.2f} W, final impedance "
        f"{result.final_impedance_ohm:.0f} \u03a9 (with "
        f"{result.protocol.series_resistance_ohm:.0f} \u03a9 pad and body path), "
        f"run time {result.runtime_s:.2f} s"
    )
    console.print(
        f"peak tissue temperature {result.peak_tissue_temperature_c:.1f} \u00b0C "
        f"over {result.simulated_s:g} s"
    )
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/bold yellow] {warning}")
    console.print(f"source: solved ({reason})")
    if plot is not None:
        console.print(f"plot written to {plot}")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _surrogate_answer(protocol: LesionProtocol) -> LesionAnswer | str:
    """The lesion table's answer (building a missing table with a progress bar), or why not."""
    from rhizo.cli.lesion_table import build_with_progress
    from rhizo.physics.surrogate_cache import LesionTables

    tables = LesionTables()
    spec = tables.spec_for(protocol)
    if not isinstance(spec, str) and tables.table(spec, build=False) is None:
        build_with_progress(tables, spec, title=f"building the lesion table ({spec.label})")
    return tables.lookup(protocol, build=False)


def _print_answer(answer: LesionAnswer, *, as_json: bool) -> None:
    """Print a surrogate answer: dimensions, peak tissue temperature, provenance."""
    if as_json:
        payload = answer.to_dict()
        payload["disclaimer"] = DISCLAIMER
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console()
    protocol = answer.protocol
    console.print(
        f"{protocol.gauge} G, {protocol.tip_length_mm:g} mm {protocol.tip_kind} tip, "
        f"{protocol.set_temperature_c:g} \u00b0C for {protocol.duration_s:g} s after a "
        f"{protocol.ramp_s:g} s ramp, in {protocol.tissue.name}; lesion edge: "
        f"{protocol.lesion_boundary_definition}"
    )
    console.print(_table(answer))
    console.print(f"peak tissue temperature {answer.peak_tissue_temperature_c:.1f} \u00b0C")
    console.print(f"source: {answer.label}")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def register(app: typer.Typer) -> None:
    """Add the ``lesion`` command to the main app."""
    app.command("lesion")(lesion)
