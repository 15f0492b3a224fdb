"""Time and peak memory per lesion, 16/18/20/22 G x 5/10/15 mm at 80 C for 90 s.

Run: ``.venv/bin/python benchmarks/lesion.py`` -- prints a table and writes
benchmarks/results/lesion.json. One core (BLAS threads pinned to 1). Each case
runs in a fresh process so peak RSS is that case's own.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

CASE_SCRIPT = """
import json, resource, time, tracemalloc
from rhizo.physics import LesionProtocol, simulate
gauge, tip = {gauge}, {tip}
protocol = LesionProtocol(gauge=gauge, tip_length_mm=tip, set_temperature_c=80, duration_s=90)
simulate(protocol)  # warm-up: imports and first-call costs
times = []
for _ in range(3):
    start = time.perf_counter()
    result = simulate(protocol)
    times.append(time.perf_counter() - start)
tracemalloc.start()
simulate(protocol)
_, traced_peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({{
    "gauge": gauge, "tip_length_mm": tip, "seconds": min(times),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "peak_python_alloc_mb": traced_peak / 2**20,
    "cells": result.diagnostics["cells"], "steps": result.diagnostics["steps"],
    "width_mm": result.lesion.width_mm,
}}))
"""


def main() -> None:
    environment = dict(
        os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"
    )
    rows = []
    for gauge in (16, 18, 20, 22):
        for tip in (5, 10, 15):
            completed = subprocess.run(  # noqa: S603 -- our own interpreter and script
                [sys.executable, "-c", CASE_SCRIPT.format(gauge=gauge, tip=tip)],
                check=True,
                capture_output=True,
                text=True,
                env=environment,
            )
            rows.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    columns = [
        ("gauge", "gauge", "{:>5}"),
        ("tip mm", "tip_length_mm", "{:>6}"),
        ("cells", "cells", "{:>6.0f}"),
        ("steps", "steps", "{:>5.0f}"),
        ("s/lesion", "seconds", "{:>8.3f}"),
        ("RSS MB", "peak_rss_mb", "{:>7.0f}"),
        ("alloc MB", "peak_python_alloc_mb", "{:>8.1f}"),
        ("width mm", "width_mm", "{:>8.2f}"),
    ]
    print(" ".join(f"{title:>{max(5, len(title))}}" for title, _, _ in columns))
    for row in rows:
        print(" ".join(spec.format(row[key]) for _, key, spec in columns))
    worst = max(row["seconds"] for row in rows)
    print(f"slowest lesion {worst:.3f} s (target < 0.5 s, aim 0.1 s)")
    output = Path(__file__).parent / "results" / "lesion.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(
        json.dumps(
            {"machine": platform.platform(), "python": platform.python_version(), "cases": rows},
            indent=2,
        )
    )
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
