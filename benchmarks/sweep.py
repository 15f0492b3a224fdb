"""Dask's overhead on a population sweep: lesions/s on a local cluster vs one process.

Run: ``.venv/bin/python benchmarks/sweep.py [--lesions 10000] [--workers 2]
[--chunk-size 1000] [--out PATH]``. A Monte Carlo sweep of 18 G / 10 mm lesions in
muscle-in-vivo with the generator program varied (set temperature 60-90 C, time at
temperature 30-120 s; the ramp stays 15 s): every lesion shares one cannula, tissue and
grid, so the batched engine advances them together and the figures measure the sweep
machinery, not model rebuilds. (A varied ramp gives every lesion its own step lengths,
so its own heat factorisations: about 80 ms a lesion instead of 22, measured in the
first runs of this benchmark.) Three ways over the same rows:

1. ``run_sweep`` on a local Dask cluster (``--workers`` processes, one thread each),
   cluster start, chunk Parquet files and results.parquet included;
2. ``run_sweep(serial=True)``: the same ``evaluate_chunk`` per chunk in this process,
   with the same Parquet writing;
3. the batched engine alone (``sweep_batches``, the batches of ``simulate_sweep``, at
   the sweep's batch size ``rhizo.sweep.evaluate.MAX_BATCH``), widths kept.

Prints a table (wall time, lesions/s, ratios) and writes benchmarks/results/sweep.json;
checks that the Dask and serial results.parquet are byte-identical and how far the
engine's widths are from the sweep's (round-off: the chunks batch other lesions
together). BLAS is pinned to one thread per process (set before NumPy loads).
Not a test: the machine's load changes wall times.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from rhizo.physics.batch import sweep_batches
from rhizo.sweep.design import draw_samples
from rhizo.sweep.evaluate import MAX_BATCH, protocol_for
from rhizo.sweep.runner import run_sweep
from rhizo.sweep.spec import SweepSpec, parse_spec

RESULTS = Path(__file__).with_name("results") / "sweep.json"


def benchmark_spec(lesions: int, chunk_size: int) -> SweepSpec:
    """The benchmark's sweep: the generator program varied, one tissue."""
    return parse_spec(
        {
            "name": "benchmark-program",
            "fixed": {"tissue": "muscle-in-vivo", "gauge": 18, "tip_length_mm": 10},
            "inputs": {
                "set_temperature_c": {"dist": "uniform", "low": 60, "high": 90},
                "duration_s": {"dist": "uniform", "low": 30, "high": 120},
            },
            "outputs": ["width_mm", "length_mm", "peak_tissue_temperature_c"],
            "design": "monte_carlo",
            "samples": lesions,
            "seed": 1,
            "chunk_size": chunk_size,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesions", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    spec = benchmark_spec(args.lesions, args.chunk_size)
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="rhizo-sweep-bench-") as scratch:
        root = Path(scratch)
        wall = time.perf_counter()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        dask_run = run_sweep(spec, root / "dask", workers=args.workers)
        dask_s = time.perf_counter() - wall
        # The worker processes' CPU (counted once the local cluster has reaped them).
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu_s = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)

        wall, cpu = time.perf_counter(), time.process_time()
        serial_run = run_sweep(spec, root / "serial", serial=True)
        serial_s, serial_cpu_s = time.perf_counter() - wall, time.process_time() - cpu

        rows = draw_samples(spec).values
        protocols = [protocol_for(spec, row)[0] for row in rows]
        wall, cpu = time.perf_counter(), time.process_time()
        engine_widths = np.empty(len(protocols))
        for indices, results in sweep_batches(protocols, max_batch=MAX_BATCH):
            engine_widths[indices] = [r.boundaries["arrhenius"].width_mm for r in results]
        engine_s, engine_cpu_s = time.perf_counter() - wall, time.process_time() - cpu

        identical = dask_run.results_path.read_bytes() == serial_run.results_path.read_bytes()
        widths = np.asarray(pq.read_table(serial_run.results_path).column("width_mm"))
        # Round-off only: a batch's composition changes the order of the sums (~1e-15).
        width_rel_diff = float(np.nanmax(np.abs(widths / engine_widths - 1)))

    n = args.lesions
    row = {
        "lesions": n,
        "chunk_size": args.chunk_size,
        "chunks": -(-n // args.chunk_size),
        "workers": args.workers,
        "dask_executor": dask_run.executor,
        "dask_wall_s": round(dask_s, 2),
        "dask_lesions_per_s": round(n / dask_s, 2),
        "dask_workers_cpu_s": round(workers_cpu_s, 2),
        "dask_workers_ms_per_lesion_cpu": round(1000 * workers_cpu_s / n, 2),
        "serial_wall_s": round(serial_s, 2),
        "serial_cpu_s": round(serial_cpu_s, 2),
        "serial_lesions_per_s": round(n / serial_s, 2),
        "engine_wall_s": round(engine_s, 2),
        "engine_cpu_s": round(engine_cpu_s, 2),
        "engine_lesions_per_s": round(n / engine_s, 2),
        "engine_ms_per_lesion_cpu": round(1000 * engine_cpu_s / n, 2),
        "speedup_dask_vs_serial": round(serial_s / dask_s, 3),
        "speedup_dask_vs_engine": round(engine_s / dask_s, 3),
        # > 1: the sweep machinery (chunks, Parquet) costs this much over the bare engine.
        "overhead_serial_vs_engine": round(serial_s / engine_s, 3),
        # The ideal on `workers` idle cores is speedup = workers; this is the shortfall.
        "dask_parallel_efficiency": round(serial_s / dask_s / args.workers, 3),
        "dask_results_identical_to_serial": identical,
        "engine_width_max_rel_diff": float(f"{width_rel_diff:.2e}"),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.python_version()}",
        "date_utc": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
    }
    width = max(len(k) for k in row)
    for key, value in row.items():
        print(f"{key:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
