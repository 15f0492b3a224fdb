"""The Dask runner: a sweep on a local 2-worker cluster equals its lesions run one by one."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")

from rhizo.physics.backend import cupy_available  # noqa: E402
from rhizo.physics.engine import simulate  # noqa: E402
from rhizo.sweep.design import draw_samples  # noqa: E402
from rhizo.sweep.evaluate import evaluate_chunk, protocol_for  # noqa: E402
from rhizo.sweep.runner import (  # noqa: E402
    ChunkFailed,
    DistMissing,
    SchedulerUnavailable,
    SweepProgress,
    run_sweep,
)
from rhizo.sweep.spec import SpecError, parse_spec  # noqa: E402
from rhizo.sweep.store import SweepStore  # noqa: E402

#: 3 tissues x 2 set temperatures x 2 lesion times = 12 lesions in chunks of 5: each
#: chunk mixes lesions that batch (one tissue, programs differ) and lesions that do not.
GRID_SPEC = {
    "name": "runner-grid",
    "fixed": {"tissue": "muscle-in-vivo", "ramp_s": 5.0},
    "inputs": {
        "tissue.thermal_conductivity_w_per_m_k": {"dist": "grid", "values": [0.45, 0.49, 0.55]},
        "set_temperature_c": {"dist": "grid", "values": [65.0, 80.0]},
        "duration_s": {"dist": "grid", "values": [10.0, 25.0]},
    },
    "outputs": [
        "width_mm",
        "length_mm",
        "isotherm_50c.volume_mm3",
        "peak_tissue_temperature_c",
        "max_power_w",
        "energy_j",
        "final_impedance_ohm",
    ],
    "design": "grid",
    "chunk_size": 5,
}


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cluster_sweep_equals_lesions_one_by_one(tmp_path: Path) -> None:
    spec = parse_spec(GRID_SPEC)
    reports: list[SweepProgress] = []
    dashboards: list[str] = []
    outcome = run_sweep(
        spec,
        tmp_path / "grid",
        workers=2,
        progress=reports.append,
        on_dashboard=dashboards.append,
    )
    assert outcome.executor == "local dask cluster (2 workers)"
    assert (outcome.chunks_run, outcome.chunks_skipped, outcome.lesions) == (3, 0, 12)
    assert outcome.lesions_per_s is not None
    assert outcome.lesions_per_s > 0
    assert dashboards == [outcome.dashboard]
    assert outcome.dashboard is not None
    assert outcome.dashboard.startswith("http://")
    # progress: once at the start, then after every chunk, ending at the total
    assert [r.done_chunks for r in reports] == [0, 1, 2, 3]
    assert reports[0].lesions_per_s is None
    assert reports[-1].done_lesions == reports[-1].total_lesions == 12
    assert reports[-1].eta_s == 0.0

    table = pq.read_table(outcome.results_path)
    np.testing.assert_array_equal(table.column("sample").to_numpy(), np.arange(12))
    rows = draw_samples(spec).values
    for i, row in enumerate(rows):
        protocol, placement = protocol_for(spec, row)
        assert placement is None
        single = simulate(protocol)
        lesion = single.boundaries["arrhenius"]
        expected = {
            "tissue.thermal_conductivity_w_per_m_k": row[0],
            "set_temperature_c": row[1],
            "duration_s": row[2],
            "width_mm": lesion.width_mm,
            "length_mm": lesion.length_mm,
            "isotherm_50c.volume_mm3": single.boundaries["isotherm_50c"].volume_mm3,
            "peak_tissue_temperature_c": single.peak_tissue_temperature_c,
            "max_power_w": single.max_power_w,
            "energy_j": single.energy_j,
            "final_impedance_ohm": single.final_impedance_ohm,
        }
        for name, value in expected.items():
            assert table.column(name)[i].as_py() == pytest.approx(value, rel=1e-9), (i, name)
        assert table.column("warnings")[i].as_py() == "; ".join(single.warnings)
    # the protocols really differ as the grid says (tissue slowest)
    assert protocol_for(spec, rows[0])[0].tissue.thermal_conductivity_w_per_m_k == 0.45
    assert protocol_for(spec, rows[11])[0].tissue.thermal_conductivity_w_per_m_k == 0.55


@pytest.mark.skipif(cupy_available(), reason="a CUDA device is visible here")
def test_a_failing_chunk_stops_the_sweep_and_keeps_the_others(tmp_path: Path) -> None:
    # a spec asking for the GPU backend, run where no worker has CuPy: chunks 0 and 1
    # were already written (computed on NumPy), chunks 2 and 3 fail on their workers
    data = {
        "name": "runner-fails",
        "fixed": {"duration_s": 5.0, "ramp_s": 2.0},
        "inputs": {"set_temperature_c": {"dist": "grid", "values": [60.0, 65.0, 70.0, 75.0]}},
        "outputs": ["width_mm"],
        "design": "grid",
        "chunk_size": 1,
        "backend": "cupy",
    }
    spec = parse_spec(data)
    directory = tmp_path / "fails"
    store = SweepStore(directory, spec)
    rows = draw_samples(spec).values
    for index in (0, 1):
        columns = evaluate_chunk(spec.model_dump_json(), index, rows[index : index + 1], "numpy")
        store.write_chunk(index, columns)
    kept = {p.name: p.read_bytes() for p in store.chunks_dir.glob("*.parquet")}

    with pytest.raises(ChunkFailed) as caught:
        run_sweep(spec, directory, workers=2)
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(
        r"^chunk [23] \(samples ([23])-\1\) failed on its worker: RuntimeError: backend "
        r"'cupy' needs CuPy and a CUDA GPU: .*; the chunks already written are kept, run the "
        r"sweep again to continue$",
        message,
    ), message
    assert {p.name: p.read_bytes() for p in store.chunks_dir.glob("*.parquet")} == kept
    assert not (directory / "results.parquet").exists()
    # in process (serial): the same line for the first missing chunk
    with pytest.raises(ChunkFailed, match=r"^chunk 2 \(samples 2-2\) failed on its worker"):
        run_sweep(spec, directory, serial=True)


def test_a_scheduler_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    spec = parse_spec({**GRID_SPEC, "name": "runner-no-scheduler"})
    with pytest.raises(SchedulerUnavailable) as caught:
        run_sweep(spec, tmp_path / "none", scheduler=address, connect_timeout_s=1.5)
    assert str(caught.value) == f"--scheduler {address}: no scheduler answered in 1.5 s"


def test_cuda_cluster_without_dask_cuda_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("rhizo")  # always there; dask_cuda is the one that must be absent
    try:
        import dask_cuda  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("dask_cuda is installed here")
    spec = parse_spec({**GRID_SPEC, "name": "runner-cuda"})
    with pytest.raises(DistMissing, match="--cuda needs dask_cuda"):
        run_sweep(spec, tmp_path / "cuda", cluster="cuda")


def test_an_existing_scheduler_runs_the_sweep(tmp_path: Path) -> None:
    # a cluster started elsewhere (here, by the test); the client writes the chunks
    spec = parse_spec(
        {
            "name": "runner-scheduler",
            "fixed": {"duration_s": 5.0, "ramp_s": 2.0},
            "inputs": {"set_temperature_c": {"dist": "uniform", "low": 60.0, "high": 80.0}},
            "outputs": ["width_mm"],
            "samples": 3,
            "chunk_size": 2,
        }
    )
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        address = cluster.scheduler_address
        outcome = run_sweep(spec, tmp_path / "remote", scheduler=address)
        serial = run_sweep(spec, tmp_path / "serial", serial=True)
    assert outcome.executor == f"dask scheduler {address}"
    assert outcome.dashboard is not None
    assert outcome.dashboard.startswith("http://")
    assert (outcome.chunks_run, outcome.lesions) == (2, 3)
    assert outcome.results_path.read_bytes() == serial.results_path.read_bytes()


def test_a_sample_out_of_range_writes_nothing(tmp_path: Path) -> None:
    spec = parse_spec(
        {
            "name": "too-wide",
            "inputs": {"set_temperature_c": {"dist": "normal", "mean": 80, "sd": 30}},
            "outputs": ["width_mm"],
            "samples": 40,
        }
    )
    with pytest.raises(SpecError, match=r"outside the allowed \[37, 95\] C"):
        run_sweep(spec, tmp_path / "out", serial=True)
    assert not (tmp_path / "out").exists()  # no spec.json left to be "resumed"


def _worker_malloc_trim() -> str | None:
    import os

    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_start_without_dask_malloc_trim_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 by default, which made the engine
    # 2.4x slower on a worker (docs/performance.md "Population sweeps"); a nanny started
    # earlier in a process also leaves it in os.environ, which spawned workers inherit.
    import os
    from contextlib import ExitStack

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")

    import dask

    from rhizo.sweep.runner import WORKER_ENVIRON_UNSET, _connect

    assert dask.config.get(WORKER_ENVIRON_UNSET) is not None  # Dask's default sets it
    with ExitStack() as stack:
        client, kind = _connect(
            stack, scheduler=None, workers=1, cluster="local", connect_timeout_s=10.0
        )
        assert kind == "local dask cluster (1 worker)"
        assert client.submit(_worker_malloc_trim, pure=False).result() is None
        assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"  # this process's, restored
