"""Capture table for docs/planning.md: L4-L5, gauge x angle x offset on the in-vivo lesion.

Prints a markdown table of P(capture) per nerve (L3 / L4 medial branch) with the
joint product, and the expected coagulated length (mean over samples) per nerve,
and writes the figures to benchmarks/results/planning_table.json.

    .venv/bin/python scripts/make_planning_tables.py [--samples 4000] [--seed 0]

10 mm tip, 80 C, 90 s, one lesion, CLINICAL_TISSUE, the default criterion
(3 mm), tips stopped by contact, lesion radius spread on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rhizo.planning import MIN_CAPTURED_LENGTH_MM, CannulaPlacement, estimate_capture, get_joint
from rhizo.planning.lesions import LESION_RADIUS_CV, lesion_for, planner_protocol

GAUGES = (16, 18, 20, 22)
ANGLES_DEG = (0.0, 90.0)
OFFSETS_MM = (0.0, 1.0, 2.0, 4.0, 6.0)
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "planning_table.json"


def table(rows: list[dict[str, object]]) -> str:
    """Markdown: per nerve P (L3/L4) and (expected coagulated length, mm) per cell."""
    header = " | ".join(f"{o:g} mm" for o in OFFSETS_MM)
    lines = [f"| gauge | angle | {header} |", "|---|---|" + "---|" * len(OFFSETS_MM)]
    for row in rows:
        texts = []
        for cell in row["cells"]:  # type: ignore[attr-defined]
            p, q = cell["probability"]
            m, n = cell["mean_length_mm"]
            texts.append(f"{p:.2f}/{q:.2f} ({m:.1f}/{n:.1f} mm)")
        lines.append(f"| {row['gauge']} | {row['angle_deg']:g} | " + " | ".join(texts) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--print-only", action="store_true", help="print the table of the saved JSON"
    )
    args = parser.parse_args()
    if args.print_only:
        print(table(json.loads(RESULTS.read_text())["rows"]))
        return
    joint = get_joint("L4-L5")
    rows: list[dict[str, object]] = []
    for gauge in GAUGES:
        protocol = planner_protocol(
            gauge=gauge, tip_length_mm=10, set_temperature_c=80, duration_s=90
        )
        profile = lesion_for(protocol)
        for angle in ANGLES_DEG:
            cells = []
            for offset in OFFSETS_MM:
                placement = CannulaPlacement(angle_deg=angle, offset_mm=offset)
                estimates = [
                    estimate_capture(
                        profile, nerve, placement, samples=args.samples, seed=args.seed
                    )
                    for nerve in joint.nerves
                ]
                cells.append(
                    {
                        "offset_mm": offset,
                        "probability": [e.capture_probability for e in estimates],
                        "joint_probability": estimates[0].capture_probability
                        * estimates[1].capture_probability,
                        "mean_length_mm": [e.mean_captured_length_mm for e in estimates],
                        "length_band_mm": [list(e.captured_length_band_mm) for e in estimates],
                    }
                )
            rows.append({"gauge": gauge, "angle_deg": angle, "cells": cells})
    print(table(rows))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "joint": "L4-L5",
                "setting": "10 mm tip, 80 C, 90 s, one lesion",
                "tissue": profile.tissue,
                "min_length_mm": MIN_CAPTURED_LENGTH_MM,
                "radius_cv": LESION_RADIUS_CV,
                "samples": args.samples,
                "seed": args.seed,
                "rows": rows,
            },
            indent=1,
            allow_nan=False,
        )
    )


if __name__ == "__main__":
    main()
