"""The 3D lesion engine's speed on the issue-19 grid, and its lesion against the 2D engine.

Run: ``.venv/bin/python benchmarks/lesion3d.py [--cell-mm 0.25] [--half-width-mm 15]
[--growth 1.2] [--margin-mm 4] [--out PATH]``. One 18 G / 10 mm / 80 C / 90 s lesion
(15 s ramp, ex-vivo chicken breast) in a 30 mm cube: ``--cell-mm`` cells within
``--margin-mm`` of the metal, growing by ``--growth`` outward. BLAS is pinned to one
thread (set before NumPy loads), so the process CPU time is one core's. Prints a
table (cells, steps, potential solves, CG iterations, wall and CPU time, peak
Python-heap memory by tracemalloc and the process's peak RSS) and the lesion against
the axisymmetric engine at its default grid, and writes benchmarks/results/lesion3d.json.
Not a test: the machine's load changes wall times; CPU time is the figure to compare.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import platform
import resource
import time
import tracemalloc
from pathlib import Path

from rhizo.physics.engine import simulate
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannula

RESULTS = Path(__file__).with_name("results") / "lesion3d.json"

#: The same run before the speed work (commit 9e5154c, pyamg's own preconditioner,
#: one hierarchy per step length, base and gain heat solves), measured on this
#: machine 2026-12-01T21:37Z at load average 1.5, for the ratio in the table.
BEFORE = {
    "commit": "9e5154c",
    "cpu_s": 76.38,
    "wall_s": 77.48,
    "heat_cg_iterations": 431,
    "peak_rss_mb": 1198.7,
    "tracemalloc_peak_mb": 1010.7,
    "width_3d_mm": 7.0748,
    "length_3d_mm": 13.641,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-mm", type=float, default=0.25)
    parser.add_argument("--half-width-mm", type=float, default=15.0)
    parser.add_argument("--growth", type=float, default=1.2)
    parser.add_argument("--margin-mm", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    protocol = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    two_d = simulate(protocol)
    pose = CannulaPose(protocol.electrode)
    grid = grid_around_cannula(
        pose,
        cell_m=args.cell_mm * 1e-3,
        fine_margin_m=args.margin_mm * 1e-3,
        half_width_m=args.half_width_mm * 1e-3,
        growth=args.growth,
    )
    scene = Scene.build(grid, pose, protocol.tissue)
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    result = simulate3d(protocol, scene)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    d = result.diagnostics
    row = {
        "cell_mm": args.cell_mm,
        "half_width_mm": args.half_width_mm,
        "growth": args.growth,
        "cells": int(d["cells"]),
        "shape": list(grid.shape),
        "steps": int(d["steps"]),
        "potential_solves": int(d["potential_solves"]),
        "potential_cg_iterations": int(d["potential_cg_iterations"]),
        "heat_cg_iterations": int(d["heat_cg_iterations"]),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "tracemalloc_peak_mb": round(heap_peak / 2**20, 1),
        "peak_rss_mb": round(rss_mb, 1),
        "width_3d_mm": round(result.lesion.width_mm, 4),
        "length_3d_mm": round(result.lesion.length_mm, 4),
        "width_2d_mm": round(two_d.lesion.width_mm, 4),
        "length_2d_mm": round(two_d.lesion.length_mm, 4),
        "width_rel_diff": round(result.lesion.width_mm / two_d.lesion.width_mm - 1, 5),
        "length_rel_diff": round(result.lesion.length_mm / two_d.lesion.length_mm - 1, 5),
        "peak_tissue_temperature_c": round(d["peak_tissue_temperature_c"], 2),
        "before": BEFORE if args.cell_mm == 0.25 else None,
        "cpu_speedup_vs_before": (
            round(BEFORE["cpu_s"] / cpu, 2) if args.cell_mm == 0.25 else None  # type: ignore[operator]
        ),
        "width_change_vs_before": (
            round(result.lesion.width_mm / BEFORE["width_3d_mm"] - 1, 6)  # type: ignore[operator]
            if args.cell_mm == 0.25
            else None
        ),
        "length_change_vs_before": (
            round(result.lesion.length_mm / BEFORE["length_3d_mm"] - 1, 6)  # type: ignore[operator]
            if args.cell_mm == 0.25
            else None
        ),
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
