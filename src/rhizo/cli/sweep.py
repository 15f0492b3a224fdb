"""``rhizo sweep SPEC``: a population sweep of lesions on Dask, then its report.

Reads the spec (:func:`rhizo.sweep.spec.load_spec`), runs or resumes it into
``--out`` (:func:`rhizo.sweep.runner.run_sweep`: a local Dask cluster by default,
``--scheduler tcp://HOST:PORT`` for a running one, ``--serial`` in this process),
prints the dashboard address and a progress bar with lesions/s and time left, then
writes and prints the report (:func:`rhizo.sweep.report.write_report`): per output
mean [95 % CI], median and 5-95 %, the Sobol indices (Saltelli designs), the files
written and the decision-support notice. ``--json`` prints the report object that is
also summary.json, plus how the run went. Every error is one line, exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rhizo import DISCLAIMER
from rhizo.cli._errors import InputError, fail
from rhizo.cli._progress import ProgressBar, ProgressOption, wanted

if TYPE_CHECKING:
    from rhizo.sweep.report import SweepReport
    from rhizo.sweep.runner import SweepOutcome
    from rhizo.sweep.spec import SweepSpec

#: Allowed --connect-timeout-s, seconds.
CONNECT_TIMEOUT_S = (0.1, 300.0)


def duration_text(seconds: float) -> str:
    """``"48 s"``, ``"2 min 48 s"``, ``"1 h 05 min"`` (rounded to whole seconds)."""
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def progress_detail(done: int, total: int, rate: float | None, eta_s: float | None) -> str:
    """``"1,234/10,000 lesions  52.1/s  2 min 48 s left"`` (rate and time once known)."""
    parts = [f"{done:,}/{total:,} lesions"]
    if rate is not None:
        parts.append(f"{rate:.1f}/s")
    if eta_s is not None:
        parts.append(f"{duration_text(eta_s)} left")
    return "  ".join(parts)


def register(app: typer.Typer) -> None:
    """Add ``rhizo sweep``."""

    @app.command("sweep")
    def sweep(
        spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="sweep spec, YAML or JSON")],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="sweep directory (default: ./<name>.sweep)"),
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="a running Dask scheduler, tcp://HOST:PORT"),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option("--workers", help="local cluster workers (default: the CPU count)"),
        ] = None,
        serial: Annotated[
            bool, typer.Option("--serial", help="run in this process, without Dask")
        ] = False,
        cuda: Annotated[
            bool, typer.Option("--cuda", help="a local dask-cuda cluster (one worker per GPU)")
        ] = False,
        overwrite: Annotated[
            bool,
            typer.Option("--overwrite", help="discard the directory's results of another spec"),
        ] = False,
        connect_timeout_s: Annotated[
            float,
            typer.Option("--connect-timeout-s", help="wait for --scheduler, 0.1-300 s"),
        ] = 10.0,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
        show_progress: ProgressOption = None,
    ) -> None:
        """Run a population sweep of lesions (Dask), then summarise it and plot it."""
        from rhizo.sweep.spec import SpecError, load_spec

        if workers is not None and workers < 1:
            fail("--workers", workers, "allowed: an integer >= 1")
        low, high = CONNECT_TIMEOUT_S
        if not low <= connect_timeout_s <= high:
            fail("--connect-timeout-s", connect_timeout_s, f"allowed: {low:g} to {high:g}")
        if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
            fail("--scheduler", scheduler, "allowed: an address tcp://HOST:PORT")
        exclusive = [
            flag
            for flag, given in (
                ("--scheduler", scheduler is not None),
                ("--serial", serial),
                ("--cuda", cuda),
            )
            if given
        ]
        if len(exclusive) > 1:
            fail(
                exclusive[1],
                True,
                f"allowed: one of --scheduler, --serial, --cuda, not with {exclusive[0]}",
            )
        try:
            spec = load_spec(spec_path)
        except SpecError as error:
            raise InputError(str(error)) from None
        directory = out if out is not None else Path.cwd() / f"{spec.name}.sweep"
        outcome, report = _run(
            spec,
            directory,
            scheduler=scheduler,
            workers=workers,
            serial=serial,
            cuda=cuda,
            overwrite=overwrite,
            connect_timeout_s=connect_timeout_s,
            as_json=as_json,
            show_progress=show_progress,
        )
        from rhizo.sweep.report import MODEL_NOTE, report_payload, sobol_table, summary_table

        run = {
            "executor": outcome.executor,
            "directory": str(outcome.directory),
            "results": str(outcome.results_path),
            "chunks_run": outcome.chunks_run,
            "chunks_skipped": outcome.chunks_skipped,
            "lesions_run": outcome.lesions,
            "elapsed_s": round(outcome.elapsed_s, 3),
            "lesions_per_s": (
                None if outcome.lesions_per_s is None else round(outcome.lesions_per_s, 3)
            ),
            "dashboard": outcome.dashboard,
        }
        if as_json:
            typer.echo(json.dumps({**report_payload(spec, report), "run": run}, allow_nan=False))
            return
        rate = "" if outcome.lesions_per_s is None else f" ({outcome.lesions_per_s:.1f}/s)"
        typer.echo(
            f"{spec.name}: {outcome.lesions:,} lesions run in {duration_text(outcome.elapsed_s)}"
            f"{rate} on {outcome.executor}; {outcome.chunks_run} chunks run, "
            f"{outcome.chunks_skipped} already done"
        )
        typer.echo("")
        typer.echo("inputs:")
        for name in spec.input_names():
            typer.echo(f"  {name}: {spec.inputs[name].describe()}")
        typer.echo("")
        for line in summary_table(report):
            typer.echo(line)
        sobol = sobol_table(report)
        if sobol:
            typer.echo("")
            for line in sobol:
                typer.echo(line)
        typer.echo("")
        typer.echo("files:")
        for path in (outcome.results_path, report.summary_path, *report.plots):
            typer.echo(f"  {path}")
        typer.echo("")
        typer.echo(MODEL_NOTE)
        typer.echo(DISCLAIMER)


def _run(
    spec: SweepSpec,
    directory: Path,
    *,
    scheduler: str | None,
    workers: int | None,
    serial: bool,
    cuda: bool,
    overwrite: bool,
    connect_timeout_s: float,
    as_json: bool,
    show_progress: bool | None,
) -> tuple[SweepOutcome, SweepReport]:
    """Run the sweep and write its report; the sweep's own errors become one line."""
    from rhizo.sweep.report import ReportError, write_report
    from rhizo.sweep.runner import (
        ChunkFailed,
        DistMissing,
        SchedulerUnavailable,
        SweepProgress,
        run_sweep,
    )
    from rhizo.sweep.spec import SpecError
    from rhizo.sweep.store import SweepStoreError

    bar = ProgressBar(label="sweep") if wanted(show_progress) else None

    def progress(state: SweepProgress) -> None:
        if bar is None:
            return
        fraction = state.done_lesions / state.total_lesions if state.total_lesions else 1.0
        detail = progress_detail(
            state.done_lesions, state.total_lesions, state.lesions_per_s, state.eta_s
        )
        bar(fraction, state.elapsed_s, detail)

    def dashboard(address: str) -> None:
        # On stderr with --json, so stdout stays one JSON object.
        line = f"Dask dashboard: {address}"
        if as_json:
            sys.stderr.write(line + "\n")
        else:
            typer.echo(line)

    try:
        outcome = run_sweep(
            spec,
            directory,
            scheduler=scheduler,
            workers=workers,
            serial=serial,
            overwrite=overwrite,
            cluster="cuda" if cuda else "local",
            progress=progress,
            on_dashboard=dashboard,
            connect_timeout_s=connect_timeout_s,
        )
        report = write_report(spec, outcome.directory)
    except (SpecError, SweepStoreError, SchedulerUnavailable, DistMissing, ChunkFailed) as error:
        raise InputError(str(error).splitlines()[0] if str(error) else repr(error)) from None
    except ReportError as error:
        raise InputError(str(error)) from None
    except ImportError as error:  # pyarrow or matplotlib missing: the dist extra
        raise InputError(
            f"{error}; rhizo sweep needs the dist extra: pip install 'rhizo[dist]'"
        ) from None
    finally:
        if bar is not None:
            bar.close()
    return outcome, report
