"""``rhizo sweep``: end to end (serial and a local 2-worker cluster) and every bad input.

Each error is one line on stderr, exit code 2, no traceback.
"""

from __future__ import annotations

import io
import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")

from rhizo import DISCLAIMER  # noqa: E402
from rhizo.cli import main  # noqa: E402
from rhizo.cli._progress import ProgressBar  # noqa: E402
from rhizo.cli.sweep import duration_text, progress_detail  # noqa: E402
from rhizo.sweep.report import MODEL_NOTE  # noqa: E402

#: 6 lesions (short, batchable: one tissue, the program varies), two outputs.
TINY = {
    "name": "cli-tiny",
    "fixed": {"gauge": 18, "tip_length_mm": 10, "duration_s": 15, "ramp_s": 3},
    "inputs": {
        "set_temperature_c": {"dist": "uniform", "low": 60, "high": 80},
        "tissue.thermal_conductivity_w_per_m_k": {
            "dist": "published_range",
            "key": "muscle.thermal_conductivity",
        },
    },
    "outputs": ["width_mm", "peak_tissue_temperature_c"],
    "design": "monte_carlo",
    "samples": 6,
    "chunk_size": 4,
}


def _write(path: Path, spec: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    return err


def test_serial_sweep_writes_results_summary_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _write(tmp_path / "tiny.yaml", TINY)
    out = tmp_path / "serial.sweep"
    assert main(["sweep", str(spec), "--serial", "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    run = printed.pop("run")
    assert printed == summary  # one report object: the file and --json
    assert run["executor"] == "serial"
    assert (run["chunks_run"], run["chunks_skipped"], run["lesions_run"]) == (2, 0, 6)
    assert summary["notice"] == DISCLAIMER
    assert summary["model_note"] == MODEL_NOTE
    for name in ("results.parquet", "histograms.png", "scatter.png"):
        assert (out / name).stat().st_size > 0
    assert not (out / "tornado.png").exists()  # not a Saltelli design
    table = pq.read_table(out / "results.parquet")
    widths = table.column("width_mm").to_pylist()
    by_output = {o["output"]: o for o in summary["outputs"]}
    assert by_output["width_mm"]["n"] == 6
    assert by_output["width_mm"]["maximum"] == pytest.approx(max(widths))
    assert by_output["width_mm"]["minimum"] == pytest.approx(min(widths))
    # Run again: every chunk is already there, nothing is recomputed.
    assert main(["sweep", str(spec), "--serial", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "0 chunks run, 2 already done" in text
    assert "width_mm" in text
    # The published range's source is shown with its input.
    assert "tissue.thermal_conductivity_w_per_m_k: uniform(0.42, 0.56) from McIntosh" in text
    assert MODEL_NOTE in text
    assert DISCLAIMER in text


def test_local_two_worker_cluster_gives_the_serial_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _write(tmp_path / "tiny.yaml", TINY)
    serial, cluster = tmp_path / "serial.sweep", tmp_path / "cluster.sweep"
    assert main(["sweep", str(spec), "--serial", "--out", str(serial), "--json"]) == 0
    capsys.readouterr()
    assert main(["sweep", str(spec), "--workers", "2", "--out", str(cluster)]) == 0
    text = capsys.readouterr().out
    assert "local dask cluster (2 workers)" in text
    assert "Dask dashboard: http://" in text
    assert (cluster / "results.parquet").read_bytes() == (serial / "results.parquet").read_bytes()
    first = json.loads((serial / "summary.json").read_text(encoding="utf-8"))
    second = json.loads((cluster / "summary.json").read_text(encoding="utf-8"))
    assert first["outputs"] == second["outputs"]
    assert {p.name for p in cluster.glob("*.png")} == {"histograms.png", "scatter.png"}


def test_progress_detail_reads_lesions_rate_and_time_left() -> None:
    assert progress_detail(1234, 10_000, 52.1, 168.0) == (
        "1,234/10,000 lesions  52.1/s  2 min 48 s left"
    )
    assert progress_detail(0, 8, None, None) == "0/8 lesions"
    assert [duration_text(s) for s in (0.4, 48, 168, 3900)] == [
        "0 s",
        "48 s",
        "2 min 48 s",
        "1 h 05 min",
    ]
    stream = io.StringIO()
    bar = ProgressBar(stream, label="sweep")
    bar(0.5, 1.0, "1,234/10,000 lesions")
    bar(0.6, 2.0, "x")
    first, second = stream.getvalue().split("\r")[1:]
    assert first.endswith("1.0 s  1,234/10,000 lesions")
    # The shorter line is padded to cover the longer one it replaces.
    assert len(second) == len(first)
    assert second.rstrip().endswith("2.0 s  x")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (
            {
                "inputs": {
                    "tissue.thermal_conductivty": {"dist": "uniform", "low": 0.4, "high": 0.5}
                }
            },
            ("tissue.thermal_conductivty", "unknown parameter"),
        ),
        (
            {"inputs": {"set_temperature_c": {"dist": "normal", "mean": 80}}},
            ("inputs.set_temperature_c", "sd"),
        ),
        ({"samples": -5}, ("samples", "-5")),
    ],
    ids=["unknown-parameter", "normal-without-sd", "negative-samples"],
)
def test_bad_specs_are_one_line_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, object],
    needles: tuple[str, ...],
) -> None:
    spec = _write(tmp_path / "bad.yaml", {**TINY, **change})
    assert main(["sweep", str(spec), "--serial", "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "bad.yaml", *needles)
    assert not (tmp_path / "o").exists()


def test_missing_spec_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", str(tmp_path / "nowhere.yaml"), "--serial"]) == 2
    _one_line_error(capsys, "nowhere.yaml")


def test_a_scheduler_that_does_not_answer_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _write(tmp_path / "tiny.yaml", TINY)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    args = ["sweep", str(spec), "--scheduler", address, "--connect-timeout-s", "1"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "--scheduler", address, "no scheduler answered in 1 s")


def test_the_dist_extra_missing_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _write(tmp_path / "tiny.yaml", TINY)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "pip install 'rhizo[dist]'")


def test_another_spec_in_the_same_directory_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    first = _write(tmp_path / "a.yaml", TINY)
    assert main(["sweep", str(first), "--serial", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    second = _write(tmp_path / "b.yaml", {**TINY, "seed": 7})
    assert main(["sweep", str(second), "--serial", "--out", str(out)]) == 2
    _one_line_error(capsys, "--overwrite")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workers", "0"], "--workers: 0"),
        (["--connect-timeout-s", "0"], "--connect-timeout-s: 0.0"),
        (["--scheduler", "localhost:8786"], "tcp://HOST:PORT"),
        (["--serial", "--cuda"], "--cuda"),
    ],
)
def test_bad_options_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    spec = _write(tmp_path / "tiny.yaml", TINY)
    assert main(["sweep", str(spec), *args, "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, needle)


def test_the_example_spec_is_the_documented_study() -> None:
    """examples/sweep_tissue.yaml: 128 x (7 + 2) lesions at 18 G / 10 mm / 80 C / 90 s."""
    from rhizo.sweep.distributions import PublishedRange
    from rhizo.sweep.spec import load_spec

    example = Path(__file__).resolve().parents[2] / "examples" / "sweep_tissue.yaml"
    spec = load_spec(example)
    assert spec.design == "saltelli"
    assert spec.lesion_count() == 128 * (7 + 2)
    assert spec.fixed == {"tissue": "muscle-in-vivo", "gauge": 18, "duration_s": 90}
    # The tissue and thermocouple inputs come from rhizo.sweep.ranges, with their sources.
    for name, distribution in spec.inputs.items():
        if name.startswith(("tissue.", "thermocouple")):
            assert isinstance(distribution, PublishedRange), name
            assert distribution.key is not None
            assert " from " in distribution.describe()
    centres = {
        name: sum(d.ppf(np.array([0.5])).tolist())
        for name, d in spec.inputs.items()
        if name in ("set_temperature_c", "tip_length_mm")
    }
    assert centres == {"set_temperature_c": 80.0, "tip_length_mm": 10.0}
    assert {"width_mm", "isotherm_50c.width_mm", "peak_tissue_temperature_c"} == set(spec.outputs)
