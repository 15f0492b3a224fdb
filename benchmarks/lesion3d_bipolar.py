"""Bipolar and sequential validation cases on the 3D engine, and the bipolar pair's speed.

Run: ``.venv/bin/python benchmarks/lesion3d_bipolar.py [--cell-mm 0.4] [--quick]
[--out PATH]``. No per-case tuning: every case uses the catalogue tissue, the
published protocol and one grid rule (``--cell-mm`` cells within 2 mm of the tips'
metal, growing by 1.2 to 8 mm beyond). Writes benchmarks/results/lesion3d_bipolar.json.

Cases (docs/validation.md, "3D: bipolar and sequential"):

- Wondra 2024 (PMID 38100248; abstract read): chicken breast ex vivo, 18/20/22 G, 10 mm
  tips, 80 C, 105 s (15 s ramp), interprobe distance 6-18 mm, bipolar; published:
  confluent up to about 12/10/8 mm (secondary: issue 19's reading). Far faces
  insulating (a block of tissue, no pad).
- Lee 2010 (Pain Physician 13:43-49; abstract read): egg white, two needles 1-7 mm
  apart, heated simultaneously or sequentially; > 50 C at the midpoint up to 5 mm
  (simultaneous) and 3 mm (sequential). The abstract gives neither the gauge, tip,
  set temperature nor time: RECALLED set-up 20 G / 10 mm / 80 C / 90 s, spacings
  read as centre to centre. Simultaneous is run both as two active tips against a
  pad and as a bipolar pair.

``--speed``: instead, one 18 G / 10 mm / 80 C / 90 s bipolar pair 8 mm apart on the
issue-19 grid rule (``--cell-mm`` cells, default then 0.25 mm, within 4 mm of the
metal, growing by 1.2 outward to 15 mm beyond the fine box), timed; writes
benchmarks/results/lesion3d_bipolar_speed.json.

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
from typing import Any

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.pairs3d import PairMode, simulate_pair

RESULTS = Path(__file__).with_name("results") / "lesion3d_bipolar.json"
SPEED_RESULTS = Path(__file__).with_name("results") / "lesion3d_bipolar_speed.json"
WONDRA_LIMIT_MM = {18: 12.0, 20: 10.0, 22: 8.0}
WONDRA_SPACINGS_MM = (6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0)
LEE_SPACINGS_MM = (2.0, 3.0, 4.0, 5.0, 6.0, 7.0)
LEE_LIMIT_MM = {"simultaneous": 5.0, "bipolar": 5.0, "sequential": 3.0}


def _case(
    protocol: LesionProtocol, spacing_mm: float, mode: PairMode, cell_mm: float
) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    run = simulate_pair(
        protocol,
        spacing_mm * 1e-3,
        mode=mode,
        cell_m=cell_mm * 1e-3,
        fine_margin_m=2e-3,
        margin_m=8e-3,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traces = run.result.traces
    return {
        "spacing_mm": spacing_mm,
        "mode": mode,
        "confluent": run.confluence.confluent,
        "gap_mm": round(run.confluence.gap_mm, 3),
        "min_log10_omega": round(run.confluence.min_log10_omega, 3),
        "midpoint_peak_c": round(float(run.confluence.midpoint_peak_c or 0.0), 2),
        "final_power_w": round(float(traces["power_w"][-1]), 3),
        "final_impedance_ohm": round(float(traces["impedance_ohm"][-1]), 1),
        "cells": int(run.result.diagnostics["cells"]),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
    }


def _speed(cell_mm: float, out: Path) -> None:
    protocol = LesionProtocol(
        gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90, ramp_s=15
    )
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    run = simulate_pair(
        protocol, 8e-3, mode="bipolar", cell_m=cell_mm * 1e-3, fine_margin_m=4e-3, margin_m=15e-3
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _, heap_peak = tracemalloc.get_traced_memory()
    diagnostics = run.result.diagnostics
    row = {
        "case": "18 G / 10 mm / 80 C / 90 s bipolar pair, 8 mm apart, insulating far faces",
        "cell_mm": cell_mm,
        "cells": int(diagnostics["cells"]),
        "steps": int(diagnostics["steps"]),
        "potential_solves": int(diagnostics["potential_solves"]),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "heap_peak_mb": round(heap_peak / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "confluent": run.confluence.confluent,
        "min_log10_omega": round(run.confluence.min_log10_omega, 3),
        "machine": platform.platform(),
    }
    for name, value in row.items():
        print(f"{name:>18}: {value}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(row, indent=2, allow_nan=False) + "\n")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-mm", type=float, default=None)
    parser.add_argument("--quick", action="store_true", help="18 G Wondra cases only")
    parser.add_argument("--speed", action="store_true", help="time one pair instead")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.speed:
        _speed(args.cell_mm or 0.25, args.out or SPEED_RESULTS)
        return
    args.cell_mm = args.cell_mm or 0.4
    args.out = args.out or RESULTS
    wondra: list[dict[str, Any]] = []
    for gauge in (18,) if args.quick else (18, 20, 22):
        protocol = LesionProtocol(
            gauge=gauge, tip_length_mm=10, set_temperature_c=80, duration_s=90, ramp_s=15
        )
        for spacing in WONDRA_SPACINGS_MM:
            row = _case(protocol, spacing, "bipolar", args.cell_mm)
            row["gauge"] = gauge
            row["published_confluent"] = spacing <= WONDRA_LIMIT_MM[gauge]
            wondra.append(row)
            print(
                f"Wondra {gauge} G {spacing:4.0f} mm: confluent {row['confluent']!s:5} "
                f"(published {row['published_confluent']!s:5}) gap {row['gap_mm']:5.2f} mm "
                f"min log10 Omega {row['min_log10_omega']:6.2f} midpoint peak "
                f"{row['midpoint_peak_c']:6.1f} C  {row['cells']:,} cells {row['cpu_s']:.1f} s CPU",
                flush=True,
            )
    lee: list[dict[str, Any]] = []
    if not args.quick:
        protocol = LesionProtocol(
            gauge=20,
            tip_length_mm=10,
            set_temperature_c=80,
            duration_s=90,
            ramp_s=15,
            tissue="egg-white",
        )
        for mode in ("simultaneous", "bipolar", "sequential"):
            for spacing in LEE_SPACINGS_MM:
                row = _case(protocol, spacing, mode, args.cell_mm)  # type: ignore[arg-type]
                row["published_above_50c"] = spacing <= LEE_LIMIT_MM[mode]
                row["above_50c"] = row["midpoint_peak_c"] > 50.0
                lee.append(row)
                print(
                    f"Lee {mode:12} {spacing:3.0f} mm: midpoint peak "
                    f"{row['midpoint_peak_c']:6.1f} C (> 50 C published "
                    f"{row['published_above_50c']!s:5}) confluent {row['confluent']!s:5} "
                    f"{row['cpu_s']:.1f} s CPU",
                    flush=True,
                )
    payload = {
        "cell_mm": args.cell_mm,
        "wondra_2024": wondra,
        "lee_2010": lee,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": platform.platform(),
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
