"""The sweep report: summary.json from results.parquet, checked against hand-computed answers.

Reference for the Sobol indices: an additive model y = x1 + 2 x2 with x1 ~ U(70, 85)
and x2 ~ U(0, 10) has Var y = 15^2/12 + 4 * 10^2/12 = 18.75 + 33.33 = 52.08, so
S1 = ST = 18.75 / 52.08 = 0.36 for x1 and 33.33 / 52.08 = 0.64 for x2 (an additive
model has no interactions: first-order and total indices agree, Saltelli et al. 2008
Global Sensitivity Analysis: The Primer, ch. 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("SALib")

from rhizo import DISCLAIMER  # noqa: E402
from rhizo.sweep.design import draw_samples  # noqa: E402
from rhizo.sweep.report import (  # noqa: E402
    MODEL_NOTE,
    ReportError,
    report_payload,
    summary_table,
    write_report,
)
from rhizo.sweep.spec import SweepSpec, parse_spec  # noqa: E402

S1_X1 = 18.75 / (18.75 + 400 / 12)
S1_X2 = (400 / 12) / (18.75 + 400 / 12)


def _spec(design: str = "saltelli", samples: int = 512) -> SweepSpec:
    return parse_spec(
        {
            "name": "report-additive",
            "inputs": {
                "set_temperature_c": {"dist": "uniform", "low": 70, "high": 85},
                "ramp_s": {"dist": "uniform", "low": 0, "high": 10},
            },
            "outputs": ["width_mm", "peak_tissue_temperature_c"],
            "design": design,
            "samples": samples,
        }
    )


def _write_results(directory: Path, spec: SweepSpec, outputs: dict[str, np.ndarray]) -> None:
    table = draw_samples(spec)
    n = table.values.shape[0]
    columns: dict[str, object] = {"sample": np.arange(n, dtype=np.int64)}
    for j, name in enumerate(table.names):
        columns[name] = table.values[:, j]
    columns.update(outputs)
    columns["warnings"] = [""] * n
    directory.mkdir(parents=True, exist_ok=True)
    # Rows written out of order: the report sorts by sample (SALib's order matters).
    order = np.random.default_rng(0).permutation(n)
    shuffled = {k: np.asarray(v)[order] for k, v in columns.items()}
    pq.write_table(pa.table(shuffled), directory / "results.parquet")


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_additive_model_sobol_indices_contain_the_exact_values(tmp_path: Path) -> None:
    spec = _spec()
    values = draw_samples(spec).values
    y = values[:, 0] + 2 * values[:, 1]
    _write_results(tmp_path, spec, {"width_mm": y, "peak_tissue_temperature_c": 3 * values[:, 0]})
    report = write_report(spec, tmp_path)
    indices = {i.input: i for i in report.sobol["width_mm"]}
    for name, exact in (("set_temperature_c", S1_X1), ("ramp_s", S1_X2)):
        index = indices[name]
        assert index.s1_ci[0] <= exact <= index.s1_ci[1]
        assert index.st_ci[0] <= exact <= index.st_ci[1]
        assert index.s1 == pytest.approx(exact, abs=0.05)
    # peak temperature depends on x1 only: x1 explains all of it, x2 none.
    only = {i.input: i for i in report.sobol["peak_tissue_temperature_c"]}
    assert only["set_temperature_c"].st == pytest.approx(1.0, abs=0.05)
    assert only["ramp_s"].st == pytest.approx(0.0, abs=1e-9)
    assert [p.name for p in report.plots] == ["histograms.png", "scatter.png", "tornado.png"]
    assert all(p.stat().st_size > 5000 for p in report.plots)


def test_summary_json_holds_the_report_and_its_numbers(tmp_path: Path) -> None:
    spec = _spec("monte_carlo", 200)
    values = draw_samples(spec).values
    width = values[:, 0] / 10.0
    width[[3, 17, 150]] = np.nan  # three lesions without an answer
    _write_results(
        tmp_path, spec, {"width_mm": width, "peak_tissue_temperature_c": values[:, 0] + 1}
    )
    report = write_report(spec, tmp_path)
    assert report.sobol == {}
    assert [p.name for p in report.plots] == ["histograms.png", "scatter.png"]
    payload = _strict(report.summary_path.read_text(encoding="utf-8"))
    assert isinstance(payload, dict)
    assert payload == json.loads(json.dumps(report_payload(spec, report)))
    assert payload["notice"] == DISCLAIMER
    assert payload["model_note"] == MODEL_NOTE
    assert payload["digest"] == spec.digest()
    assert payload["lesions"] == 200
    assert payload["inputs"] == {
        "set_temperature_c": "uniform(70, 85)",
        "ramp_s": "uniform(0, 10)",
    }
    by_output = {o["output"]: o for o in payload["outputs"]}
    finite = width[np.isfinite(width)]
    summary = by_output["width_mm"]
    assert (summary["n"], summary["n_missing"]) == (197, 3)
    assert summary["mean"] == pytest.approx(float(np.mean(finite)), rel=1e-12)
    assert summary["median"] == pytest.approx(float(np.median(finite)), rel=1e-12)
    assert summary["minimum"] == pytest.approx(float(np.min(finite)))
    assert summary["maximum"] == pytest.approx(float(np.max(finite)))
    lines = summary_table(report)
    assert lines[1].startswith("width_mm")
    assert f"{np.median(finite):.4g}" in lines[1]


def test_incomplete_or_missing_results_are_one_line_errors(tmp_path: Path) -> None:
    spec = _spec("monte_carlo", 20)
    with pytest.raises(ReportError, match="no results yet"):
        write_report(spec, tmp_path)
    other = _spec("monte_carlo", 10)
    values = draw_samples(other).values
    _write_results(
        tmp_path, other, {"width_mm": values[:, 0], "peak_tissue_temperature_c": values[:, 1]}
    )
    with pytest.raises(ReportError, match="10 lesions, the spec has 20"):
        write_report(spec, tmp_path)
    (tmp_path / "results.parquet").write_bytes(b"not parquet")
    with pytest.raises(ReportError, match="not a readable Parquet file"):
        write_report(spec, tmp_path)
