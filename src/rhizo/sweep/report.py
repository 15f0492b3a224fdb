"""A finished sweep's report: summary.json and the PNG figures, from results.parquet.

One definition of what a sweep reports: :func:`write_report` builds the
:class:`SweepReport` (per output a :class:`~rhizo.sweep.statistics.Summary`; for a
Saltelli design the first-order and total Sobol indices of every input from
:func:`~rhizo.sweep.statistics.sobol_indices`), and :func:`report_payload` turns it
into the JSON object that is both summary.json and ``rhizo sweep --json``; the CLI's
tables print the same objects. No NaN reaches the JSON (a missing value is null).

The statistics describe the spread of the MODEL's answers over the spec's input
distributions (:data:`MODEL_NOTE`): decision support, not a measurement of patients.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rhizo import DISCLAIMER
from rhizo.sweep.plots import (
    HistogramPanel,
    histogram_figure,
    save_png,
    scatter_figure,
    tornado_figure,
)
from rhizo.sweep.spec import SweepSpec
from rhizo.sweep.statistics import SobolIndex, Summary, sobol_indices, summarise

FloatArray = NDArray[np.float64]

SUMMARY_NAME = "summary.json"
RESULTS_NAME = "results.parquet"
HISTOGRAMS_NAME = "histograms.png"
SCATTER_NAME = "scatter.png"
TORNADO_NAME = "tornado.png"

#: What a sweep's numbers are (shown with every report).
MODEL_NOTE = (
    "Sweep statistics describe the spread of the MODEL's answers over the stated input "
    "distributions, not a measured spread of lesions in patients."
)


class ReportError(RuntimeError):
    """A sweep directory that cannot be reported on (one line for the CLI)."""


@dataclass(frozen=True)
class SweepReport:
    """What :func:`write_report` computed and wrote."""

    summaries: list[Summary]
    sobol: dict[str, list[SobolIndex]]  # output -> indices (saltelli only)
    summary_path: Path
    plots: list[Path]
    #: Outputs whose Sobol indices could not be computed, with the reason (e.g. NaN).
    sobol_skipped: dict[str, str] = field(default_factory=dict)
    #: Lesions in results.parquet.
    lesions: int = 0


def read_results(directory: Path) -> dict[str, NDArray[np.generic]]:
    """results.parquet's columns as NumPy arrays, rows in sample order."""
    import pyarrow.parquet as pq

    path = directory / RESULTS_NAME
    if not path.is_file():
        raise ReportError(f"{path}: no results yet; run the sweep to the end first")
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as error:
        raise ReportError(f"{path}: not a readable Parquet file ({error})") from error
    columns = {name: table.column(name).to_numpy() for name in table.column_names}
    if "sample" not in columns:
        raise ReportError(f"{path}: no 'sample' column; not a rhizo sweep's results")
    order = np.argsort(columns["sample"], kind="stable")
    return {name: values[order] for name, values in columns.items()}


def _float_column(columns: dict[str, NDArray[np.generic]], name: str, path: Path) -> FloatArray:
    if name not in columns:
        raise ReportError(f"{path}: no column {name!r}; the spec and the results disagree")
    return np.asarray(columns[name], dtype=float)


def compute_report(
    spec: SweepSpec, columns: dict[str, NDArray[np.generic]], *, origin: Path
) -> tuple[list[Summary], dict[str, list[SobolIndex]], dict[str, str]]:
    """Summaries of every output and (Saltelli) Sobol indices, from the results' columns."""
    rows = int(np.asarray(columns["sample"]).size)
    if rows != spec.lesion_count():
        raise ReportError(
            f"{origin}: {rows} lesions, the spec has {spec.lesion_count()}; the sweep is "
            "incomplete or from another spec"
        )
    summaries = [
        summarise(output, _float_column(columns, output, origin)) for output in spec.outputs
    ]
    sobol: dict[str, list[SobolIndex]] = {}
    skipped: dict[str, str] = {}
    if spec.design == "saltelli":
        names = spec.input_names()
        for output in spec.outputs:
            try:
                sobol[output] = sobol_indices(
                    names, _float_column(columns, output, origin), seed=spec.seed
                )
            except ValueError as error:
                skipped[output] = str(error)
    return summaries, sobol, skipped


def report_payload(spec: SweepSpec, report: SweepReport) -> dict[str, object]:
    """The report as one JSON-ready object: summary.json and ``rhizo sweep --json``."""
    return {
        "spec": json.loads(spec.canonical_json()),
        "digest": spec.digest(),
        "lesions": report.lesions,
        # Each input's distribution in words; a published range ends with its source.
        "inputs": {name: spec.inputs[name].describe() for name in spec.input_names()},
        "outputs": [summary.to_dict() for summary in report.summaries],
        "sobol": {
            output: [index.to_dict() for index in indices]
            for output, indices in report.sobol.items()
        },
        "sobol_skipped": dict(report.sobol_skipped),
        "plots": [path.name for path in report.plots],
        "model_note": MODEL_NOTE,
        "notice": DISCLAIMER,
    }


def _write_json(path: Path, payload: dict[str, object]) -> None:
    """Atomically: a temporary file in the same folder, then rename."""
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".summary-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(spec: SweepSpec, directory: Path) -> SweepReport:
    """Read ``directory``/results.parquet; write summary.json and the PNGs beside it."""
    columns = read_results(directory)
    summaries, sobol, skipped = compute_report(spec, columns, origin=directory / RESULTS_NAME)
    origin = directory / RESULTS_NAME
    outputs = {name: _float_column(columns, name, origin) for name in spec.outputs}
    inputs = {name: _float_column(columns, name, origin) for name in spec.input_names()}
    plots = [
        save_png(
            histogram_figure(
                [
                    HistogramPanel(s.output, outputs[s.output], s.median, s.p05, s.p95)
                    for s in summaries
                ]
            ),
            directory / HISTOGRAMS_NAME,
        ),
        save_png(scatter_figure(inputs, outputs, seed=spec.seed), directory / SCATTER_NAME),
    ]
    if sobol:
        plots.append(save_png(tornado_figure(sobol), directory / TORNADO_NAME))
    report = SweepReport(
        summaries=summaries,
        sobol=sobol,
        summary_path=directory / SUMMARY_NAME,
        plots=plots,
        sobol_skipped=skipped,
        lesions=int(np.asarray(columns["sample"]).size),
    )
    _write_json(report.summary_path, report_payload(spec, report))
    return report


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def summary_table(report: SweepReport) -> list[str]:
    """Lines: per output mean [95 % CI], median [95 % CI], 5-95 %, missing."""
    lines = [
        f"{'output':<34} {'n':>6} {'mean [95 % CI]':>28} {'median':>9} {'5-95 %':>22} "
        f"{'missing':>7}"
    ]
    for s in report.summaries:
        mean = (
            f"{_number(s.mean)} [{_number(s.mean_ci95[0])}, {_number(s.mean_ci95[1])}]"
            if s.mean_ci95 is not None
            else _number(s.mean)
        )
        band = f"{_number(s.p05)} to {_number(s.p95)}"
        lines.append(
            f"{s.output:<34} {s.n:>6} {mean:>26} {_number(s.median):>9} {band:>20} {s.n_missing:>7}"
        )
    return lines


def sobol_table(report: SweepReport) -> list[str]:
    """Lines per output: each input's S1 and ST with their intervals, sorted by ST."""
    lines: list[str] = []
    for output, indices in report.sobol.items():
        level = round(100 * indices[0].conf_level) if indices else 95
        lines.append(f"Sobol indices of {output} ({level} % CI):")
        width = max([len("input"), *(len(index.input) for index in indices)])
        lines.append(f"  {'input':<{width}} {'S1 [CI]':>24} {'ST [CI]':>24}")
        for index in sorted(indices, key=lambda i: -i.st):
            s1 = f"{index.s1:.3f} [{index.s1_ci[0]:.3f}, {index.s1_ci[1]:.3f}]"
            st = f"{index.st:.3f} [{index.st_ci[0]:.3f}, {index.st_ci[1]:.3f}]"
            lines.append(f"  {index.input:<{width}} {s1:>24} {st:>24}")
    for output, reason in report.sobol_skipped.items():
        lines.append(f"Sobol indices of {output}: not computed ({reason})")
    return lines
