"""The lesion surrogate of the clinical default: build cost, query cost, held-out error.

Builds the 18 G blunt, muscle-in-vivo table (the planner's default tissue) over the
default box (:data:`rhizo.physics.surrogate.DEFAULT_AXES`: 7 tips x 8 set
temperatures x 8 times = 448 engine runs, plus the table's own held-out points) in a
fresh temporary cache, then:

- query cost: ``LesionTables.lookup`` (the path the planner and the web page take:
  spec lookup, range and warning checks, interpolation, dimensions and profiles) at
  ``--queries`` random in-range settings; median and 95th percentile in us, process
  CPU and wall, over the queries the table answered (the refused ones, which the
  solver would answer, are counted by reason);
- held-out error: ``--points`` (>= 30) further random settings in the box (another
  seed than the table's own), solved by the engine; largest and mean relative width
  and length error over the three boundaries, and the radius-profile L1 error
  (:func:`rhizo.physics.surrogate_build.compare`); the peak tissue temperature error;
  and warnings missed (the solver warned where the table answered: must be 0).

Prints a table and writes benchmarks/results/surrogate.json (or ``--out``).
Run: ``python benchmarks/surrogate.py [--points 40] [--queries 2000] [--backend numpy]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from rhizo.physics import CLINICAL_TISSUE
from rhizo.physics.batch import simulate_sweep
from rhizo.physics.surrogate_build import compare, held_out_protocols
from rhizo.physics.surrogate_cache import LesionTables

RESULTS = Path(__file__).with_name("results") / "surrogate.json"
BENCH_SEED = 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=40, help="held-out settings (>= 30)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--backend", default="numpy", choices=("numpy", "cupy"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep", type=Path, default=None, help="copy the built table into this folder"
    )
    args = parser.parse_args()
    if args.points < 30:
        parser.error(f"--points {args.points}: at least 30 held-out settings")

    with tempfile.TemporaryDirectory() as folder:
        tables = LesionTables(cache_dir=Path(folder), backend=args.backend)
        spec = tables.spec(gauge=18, tip_kind="blunt", tissue=CLINICAL_TISSUE)
        wall, cpu = time.perf_counter(), time.process_time()
        table = tables.table(spec)
        build_wall_s, build_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        assert table is not None  # noqa: S101 -- build=True always gives a table
        file_bytes = tables.path(spec).stat().st_size
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(tables.path(spec), args.keep / tables.path(spec).name)

        # Load from disk in a fresh manager (what a new web worker does).
        fresh = LesionTables(cache_dir=Path(folder), backend=args.backend)
        start = time.perf_counter()
        fresh.table(fresh.spec(gauge=18, tip_kind="blunt", tissue=CLINICAL_TISSUE), build=False)
        load_ms = (time.perf_counter() - start) * 1e3

        queries = held_out_protocols(spec, points=args.queries, seed=BENCH_SEED + 1)
        refusals: dict[str, int] = {}
        walls, cpus = [], []
        for protocol in queries:
            w, c = time.perf_counter(), time.process_time()
            found = tables.lookup(protocol, build=False)
            cpu_s, wall_s = time.process_time() - c, time.perf_counter() - w
            if isinstance(found, str):
                reason = found.split(" (")[0].split(" is ")[0]
                refusals[reason] = refusals.get(reason, 0) + 1
            else:
                cpus.append(cpu_s)
                walls.append(wall_s)

        checks = held_out_protocols(spec, points=args.points, seed=BENCH_SEED)
        results = simulate_sweep(checks, backend=args.backend)
        errors, peak_errors = [], []
        refused = missed_warnings = solver_warned = 0
        for protocol, result in zip(checks, results, strict=True):
            found = tables.lookup(protocol, build=False)
            solver_warned += bool(result.warnings)
            if isinstance(found, str):
                refused += 1
                continue
            if result.warnings:
                missed_warnings += 1
                continue
            errors.append(compare(found, result))
            peak_errors.append(
                abs(found.peak_tissue_temperature_c - result.peak_tissue_temperature_c)
            )
    temperatures = spec.axes.set_temperature_c
    unusable_by_temperature = {
        f"{t:g}": int((~table.usable[:, j, :]).sum()) for j, t in enumerate(temperatures)
    }
    array = np.asarray(errors) * 100
    summary = {
        "case": "18 G blunt, muscle-in-vivo, default grid",
        "axes": spec.axes.describe(),
        "runs": spec.axes.size,
        "backend": args.backend,
        "build_wall_s": build_wall_s,
        "build_cpu_s": build_cpu_s,
        "build_cpu_ms_per_run": build_cpu_s * 1e3 / (spec.axes.size + tables.held_out_points),
        "file_bytes": file_bytes,
        "load_ms": load_ms,
        "table_held_out": table.held_out.model_dump() if table.held_out else None,
        "unusable_runs": int((~table.usable).sum()),
        "unusable_runs_by_set_temperature_c": unusable_by_temperature,
        "queries": len(queries),
        "queries_answered_by_surrogate": len(cpus),
        "queries_refused": refusals,
        "query_median_us_cpu": statistics.median(cpus) * 1e6,
        "query_p95_us_cpu": float(np.percentile(cpus, 95)) * 1e6,
        "query_median_us_wall": statistics.median(walls) * 1e6,
        "held_out_points": args.points,
        "held_out_compared": len(errors),
        "held_out_refused": refused,
        "held_out_solver_warned": solver_warned,
        "held_out_missed_warnings": missed_warnings,
        "max_peak_temperature_error_c": float(max(peak_errors)),
        "max_width_error_pct": float(array[:, 0].max()),
        "mean_width_error_pct": float(array[:, 0].mean()),
        "max_length_error_pct": float(array[:, 1].max()),
        "mean_length_error_pct": float(array[:, 1].mean()),
        "max_profile_error_pct": float(array[:, 2].max()),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    rows = [
        ("table", f"{summary['axes']} ({summary['runs']} runs), {args.backend}"),
        ("build", f"{build_wall_s:.1f} s wall, {build_cpu_s:.1f} s CPU"),
        ("build per run", f"{summary['build_cpu_ms_per_run']:.0f} ms CPU"),
        ("file / load", f"{file_bytes / 1024:.0f} KiB, {load_ms:.1f} ms"),
        ("unusable runs", f"{summary['unusable_runs']} by set C {unusable_by_temperature}"),
        ("queries answered", f"{len(cpus)} of {len(queries)}; refused {refusals}"),
        ("query median (CPU)", f"{summary['query_median_us_cpu']:.0f} us"),
        ("query p95 (CPU)", f"{summary['query_p95_us_cpu']:.0f} us"),
        ("query median (wall)", f"{summary['query_median_us_wall']:.0f} us"),
        (
            "held-out points",
            f"{len(errors)} compared, {refused} refused, {solver_warned} warned by the "
            f"solver, {missed_warnings} warnings missed",
        ),
        ("peak temperature error max", f"{summary['max_peak_temperature_error_c']:.2f} C"),
        (
            "width error max / mean",
            f"{summary['max_width_error_pct']:.3f} / {summary['mean_width_error_pct']:.3f} %",
        ),
        (
            "length error max / mean",
            f"{summary['max_length_error_pct']:.3f} / {summary['mean_length_error_pct']:.3f} %",
        ),
        ("profile L1 error max", f"{summary['max_profile_error_pct']:.3f} %"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
