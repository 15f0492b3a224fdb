"""A sweep killed mid-way and resumed gives the same results file as an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")

from rhizo.sweep.runner import run_sweep
from rhizo.sweep.spec import parse_spec

#: 16 lesions (Latin hypercube over the program) in 8 chunks of 2.
SPEC = {
    "name": "resume-test",
    "fixed": {"ramp_s": 3.0},
    "inputs": {
        "set_temperature_c": {"dist": "uniform", "low": 60.0, "high": 85.0},
        "duration_s": {"dist": "uniform", "low": 5.0, "high": 30.0},
    },
    "outputs": ["width_mm", "length_mm", "peak_tissue_temperature_c"],
    "design": "latin_hypercube",
    "samples": 16,
    "seed": 7,
    "chunk_size": 2,
}

#: Every run in a separate process (the killed one in its own session, so its whole group
#: can be killed), printing what it did. One BLAS thread per process, as Dask gives its
#: workers: on a loaded machine a multi-threaded OpenBLAS spins and a lesion that takes
#: 0.05 s takes 20 s.
DRIVER = """
import json, sys
from pathlib import Path
from rhizo.sweep.runner import run_sweep
from rhizo.sweep.spec import parse_spec

spec = parse_spec(json.loads(Path(sys.argv[1]).read_text()))
outcome = run_sweep(spec, Path(sys.argv[2]), serial=True)
print(json.dumps({"run": outcome.chunks_run, "skipped": outcome.chunks_skipped,
                  "lesions": outcome.lesions, "results": str(outcome.results_path)}))
"""
ENVIRONMENT = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _chunk_files(directory: Path) -> list[Path]:
    return sorted((directory / "chunks").glob("chunk-*.parquet"))


def _kill_after(directory: Path, spec_path: Path, driver: Path, chunks: int) -> int:
    """Run the driver until ``chunks`` chunk files exist, SIGKILL its group; files left."""
    process = subprocess.Popen(
        [sys.executable, str(driver), str(spec_path), str(directory)],
        start_new_session=True,
        env=ENVIRONMENT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_chunk_files(directory)) < chunks:
            if process.poll() is not None:
                pytest.fail(f"the driver ended first: {process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no chunks appeared in 60 s")
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
    return len(_chunk_files(directory))


def _run(directory: Path, spec_path: Path, driver: Path) -> dict[str, object]:
    """Run the driver to the end; what it did."""
    done = subprocess.run(
        [sys.executable, str(driver), str(spec_path), str(directory)],
        env=ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def test_a_killed_sweep_resumes_to_the_same_file(tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(SPEC))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)

    killed = tmp_path / "killed"
    left = _kill_after(killed, spec_path, driver, chunks=3)
    assert 3 <= left < 8, "the kill came after the sweep had finished"
    assert not (killed / "results.parquet").exists()
    before = {path.name: path.stat().st_ino for path in _chunk_files(killed)}

    resumed = _run(killed, spec_path, driver)
    assert resumed == {
        "run": 8 - left,
        "skipped": left,
        "lesions": 16 - 2 * left,
        "results": str(killed / "results.parquet"),
    }
    # the chunks written before the kill are the same files, never rewritten
    after = {path.name: path.stat().st_ino for path in _chunk_files(killed)}
    assert {name: after[name] for name in before} == before
    assert len(after) == 8

    whole = _run(tmp_path / "whole", spec_path, driver)
    assert (whole["run"], whole["skipped"]) == (8, 0)
    expected = (tmp_path / "whole" / "results.parquet").read_bytes()
    assert (killed / "results.parquet").read_bytes() == expected

    # a finished sweep run again (here, in this process) computes nothing, same bytes
    again = run_sweep(spec, killed, serial=True)
    assert (again.chunks_run, again.chunks_skipped, again.lesions) == (0, 8, 0)
    assert again.results_path.read_bytes() == expected
