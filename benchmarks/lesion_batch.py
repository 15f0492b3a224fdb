"""Lesion sweeps: one at a time vs batched on the CPU vs batched on a CUDA GPU.

A sweep is 18 G / 10 mm at set temperatures 60-90 C and lesion times 30-180 s
(the settings a planner compares). For batch sizes 1, 8, 32 and 128 it times:
the single-lesion engine in a loop (CPU), ``simulate_batch`` on NumPy (CPU)
and, where CuPy sees a GPU, ``simulate_batch`` on CuPy, and checks that every
batched lesion's width equals the single engine's (largest relative
difference). Prints a table and writes benchmarks/results/lesion_batch.json
(or ``--out``).

Run: ``python benchmarks/lesion_batch.py [--sizes 1,8,32,128] [--distinct] [--out FILE]``
(BLAS pinned to one thread: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``).
The GPU figures in docs/performance.md come from the lent H200 machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from rhizo.physics import LesionProtocol, simulate
from rhizo.physics.backend import cupy_available
from rhizo.physics.batch import simulate_batch

RESULTS = Path(__file__).with_name("results") / "lesion_batch.json"
TEMPERATURES = (60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0)
DURATIONS = (30.0, 45.0, 60.0, 75.0, 90.0, 120.0, 150.0, 180.0)


def sweep(size: int, *, distinct: bool = False) -> list[LesionProtocol]:
    """``size`` protocols cycling through the temperature x time grid.

    ``distinct``: every lesion gets its own set point (60-95 C, evenly spaced), so no
    two programs differ only in duration and the engine cannot share their steps.
    """
    if distinct:
        step = (TEMPERATURES[-1] - TEMPERATURES[0]) / max(size - 1, 1)
        return [
            LesionProtocol(
                gauge=18,
                tip_length_mm=10,
                set_temperature_c=TEMPERATURES[0] + i * step,
                duration_s=DURATIONS[i % len(DURATIONS)],
            )
            for i in range(size)
        ]
    settings = itertools.islice(itertools.cycle(itertools.product(TEMPERATURES, DURATIONS)), size)
    return [
        LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=t, duration_s=d)
        for t, d in settings
    ]


def _timed(run: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def _cpu_timed(run: Any) -> tuple[float, float, Any]:
    """(wall s, process CPU s, value): on a shared machine compare the CPU figures."""
    start, cpu = time.perf_counter(), time.process_time()
    value = run()
    return time.perf_counter() - start, time.process_time() - cpu, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,8,64")
    parser.add_argument(
        "--gpu-only", default="", help="larger sizes timed on the GPU alone (comma-separated)"
    )
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="a distinct set point per lesion (no programs that differ only in duration)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    gpu_only = [int(s) for s in args.gpu_only.split(",") if s]
    gpu = cupy_available()
    if gpu:
        simulate_batch(sweep(2), backend="cupy")  # warm-up: CUDA context, kernel compilation
    simulate(sweep(1)[0])
    rows = []
    for size in sizes:
        protocols = sweep(size, distinct=args.distinct)
        single_s, single_process_s, singles = _cpu_timed(
            lambda p=protocols: [simulate(x) for x in p]
        )
        cpu_s, batch_process_s, cpu = _cpu_timed(
            lambda p=protocols: simulate_batch(p, backend="numpy")
        )
        row: dict[str, Any] = {
            "lesions": size,
            "single_cpu_s": round(single_s, 3),
            "batch_cpu_s": round(cpu_s, 3),
            "single_process_cpu_s": round(single_process_s, 3),
            "batch_process_cpu_s": round(batch_process_s, 3),
            "cpu_speedup_per_lesion": round(single_process_s / batch_process_s, 2),
            "cpu_max_rel_width_diff": max(
                abs(b.lesion.width_mm / s.lesion.width_mm - 1)
                for b, s in zip(cpu, singles, strict=True)
            ),
            "shared_step_fraction": round(
                sum(b.diagnostics["shared_steps"] for b in cpu)
                / sum(b.diagnostics["steps"] for b in cpu),
                3,
            ),
        }
        if gpu:
            gpu_s, on_gpu = _timed(lambda p=protocols: simulate_batch(p, backend="cupy"))
            row["batch_gpu_s"] = round(gpu_s, 3)
            row["gpu_ms_per_lesion"] = round(1000 * gpu_s / size, 2)
            row["gpu_max_rel_width_diff"] = max(
                abs(g.lesion.width_mm / s.lesion.width_mm - 1)
                for g, s in zip(on_gpu, singles, strict=True)
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    for size in gpu_only if gpu else []:
        protocols = sweep(size)
        gpu_s, _ = _timed(lambda p=protocols: simulate_batch(p, backend="cupy"))
        row = {
            "lesions": size,
            "single_cpu_s": "-",
            "batch_cpu_s": "-",
            "cpu_max_rel_width_diff": 0.0,
            "batch_gpu_s": round(gpu_s, 3),
            "gpu_ms_per_lesion": round(1000 * gpu_s / size, 2),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(
        f"\n{'lesions':>7} {'loop wall s':>11} {'batch wall s':>12} {'loop CPU s':>10} "
        f"{'batch CPU s':>11} {'CPU gain':>8} {'batch GPU s':>11} {'GPU ms/lesion':>13} "
        f"{'max width diff':>14}"
    )
    for row in rows:
        diff = max(row["cpu_max_rel_width_diff"], row.get("gpu_max_rel_width_diff", 0.0))
        print(
            f"{row['lesions']:>7} {row['single_cpu_s']:>11} {row['batch_cpu_s']:>12} "
            f"{row.get('single_process_cpu_s', '-'):>10} {row.get('batch_process_cpu_s', '-'):>11} "
            f"{row.get('cpu_speedup_per_lesion', '-'):>8} "
            f"{row.get('batch_gpu_s', '-'):>11} {row.get('gpu_ms_per_lesion', '-'):>13} "
            f"{diff:>14.1e}"
        )
    report = {
        "benchmark": "lesion_batch",
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "gpu": gpu,
        "sweep": (
            "18 G / 10 mm, a distinct set point 60-95 C per lesion, 30-180 s"
            if args.distinct
            else "18 G / 10 mm, 60-95 C x 30-180 s"
        ),
        "load_average": os.getloadavg(),
        "time_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rows": rows,
    }
    if gpu:
        import cupy  # type: ignore[import-not-found, unused-ignore]

        report["device"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
