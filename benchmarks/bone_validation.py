"""The 3D engine beside bone against what was read (docs/validation.md, "3D: beside bone").

Run: ``.venv/bin/python benchmarks/bone_validation.py [--cell-mm 0.5] [--out PATH]``.
No per-case tuning: catalogue tissues, the engine's generator, one grid rule.

1. Osteoid-osteoma RFA model (PubMed 26862788, abstract read): a 10 mm nidus enclosed
   by a low-conductivity reactive zone; 17 G, 90 C, 300 s. Here: 16 G / 5 mm tip
   (17 G is not in the catalogue; tip length not in the abstract: assumption), the
   nidus and the outside as ``muscle-in-vivo`` (assumption: the nidus conductivity
   was varied in the paper), a spherical reactive-zone shell (cortical bone, sigma
   0.02 S/m, or trabecular, 0.087 S/m) of thickness 0, 2.5, 5 and 7.5 mm about the
   tip's middle. Reported: the hottest tissue just outside the shell (the paper's
   "maximum temperature reached outside it") and the Omega >= 1 width.
2. NeuroTherm NT1100 manual (p. 10-16, read): lesion size depends on "thermal
   insulation such as the presence of bone". Here: 18 G / 10 mm / 80 C / 90 s in
   ``muscle-in-vivo``, the cannula resting on the parametric TP root
   (``lumbar3d.tp_sap_level``, as tests/physics/three_d/test_lumbar3d.py); bone as is,
   bone with the muscle's sigma (thermal effect only) and bone with the muscle's
   thermal properties (electrical effect only).

Prints a table and writes benchmarks/results/bone_validation.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.bone_tissues import TRABECULAR_BONE
from rhizo.physics.three_d.engine3d import Lesion3DResult, simulate3d
from rhizo.physics.three_d.geometry3d import CORTICAL_BONE, CannulaPose, Scene, grid_around_cannula
from rhizo.physics.three_d.lumbar3d import NerveCourse, tp_sap_level
from rhizo.physics.tissue import Tissue

RESULTS = Path(__file__).with_name("results") / "bone_validation.json"
TISSUE = "muscle-in-vivo"
NIDUS_RADIUS_MM = 5.0
SHELL_THICKNESS_MM = (0.0, 2.5, 5.0, 7.5)


def reactive_zone_run(
    thickness_mm: float, zone: Tissue, *, cell_mm: float, duration_s: float = 300.0
) -> tuple[Lesion3DResult, dict[str, float]]:
    """One osteoid-osteoma run: a shell of ``zone`` from the nidus radius outward."""
    protocol = LesionProtocol(
        tissue=TISSUE, gauge=16, tip_length_mm=5, set_temperature_c=90, duration_s=duration_s
    )
    pose = CannulaPose(protocol.electrode)
    outer_mm = NIDUS_RADIUS_MM + thickness_mm
    grid = grid_around_cannula(
        pose,
        cell_m=cell_mm * 1e-3,
        fine_margin_m=(outer_mm + 1.0) * 1e-3,
        half_width_m=(outer_mm + 15.0) * 1e-3,
    )
    centre_z = -protocol.electrode.tip_length_m / 2
    x, y, z = grid.mesh_m
    r_mm = np.sqrt(x * x + y * y + (z - centre_z) ** 2) * 1e3
    solids: tuple[tuple[Tissue, np.ndarray], ...] = ()
    if thickness_mm > 0:
        solids = ((zone, (r_mm > NIDUS_RADIUS_MM) & (r_mm <= outer_mm)),)
    result = simulate3d(protocol, Scene.build(grid, pose, protocol.tissue, solids))
    outside = (r_mm > outer_mm) & (r_mm <= outer_mm + 1.5 * cell_mm)
    row = {
        "thickness_mm": thickness_mm,
        "zone_sigma_s_per_m": zone.electrical_conductivity_s_per_m if thickness_mm else 0.0,
        "max_outside_c": float(result.peak_temperature_c[outside].max()),
        "width_mm": result.lesion.width_mm,
        "impedance_ohm": float(result.traces["impedance_ohm"][-1]),
    }
    return result, row


def _lumbar_runs(cell_mm: float) -> list[dict[str, float | str]]:
    protocol = LesionProtocol(
        tissue=TISSUE, gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90
    )
    nerve_mm = 0.5
    axis_z_mm = -nerve_mm + protocol.electrode.radius_m * 1e3
    pose = CannulaPose(
        protocol.electrode, tip_m=(5e-3, 2e-3, axis_z_mm * 1e-3), direction=(1.0, 0.0, 0.0)
    )
    grid = grid_around_cannula(pose, cell_m=cell_mm * 1e-3, fine_margin_m=4e-3, half_width_m=15e-3)
    level = tp_sap_level(NerveCourse(radius_mm=nerve_mm))
    muscle = protocol.tissue
    electric = {"electrical_conductivity_s_per_m": muscle.electrical_conductivity_s_per_m}
    thermal = {
        "thermal_conductivity_w_per_m_k": muscle.thermal_conductivity_w_per_m_k,
        "density_kg_per_m3": muscle.density_kg_per_m3,
        "specific_heat_j_per_kg_k": muscle.specific_heat_j_per_kg_k,
        "perfusion_rate_per_s": muscle.perfusion_rate_per_s,
    }
    cases = {
        "no bone": None,
        "bone": level,
        "bone, muscle sigma (thermal only)": level.with_tissues(
            CORTICAL_BONE.model_copy(update=electric), TRABECULAR_BONE.model_copy(update=electric)
        ),
        "bone, muscle thermal (electrical only)": level.with_tissues(
            CORTICAL_BONE.model_copy(update=thermal), TRABECULAR_BONE.model_copy(update=thermal)
        ),
    }
    # A line under the tip's middle, across z (the bone lies below the axis).
    ix = int(np.argmin(np.abs(grid.centres_m(0) - 0.0)))
    iy = int(np.argmin(np.abs(grid.centres_m(1) - 2e-3)))
    zc = grid.centres_m(2) * 1e3
    rows: list[dict[str, float | str]] = []
    for name, bone in cases.items():
        solids = bone.solids(grid) if bone is not None else ()
        result = simulate3d(protocol, Scene.build(grid, pose, protocol.tissue, solids))
        inside = zc[result.log10_omega[ix, iy, :] >= 0.0]
        rows.append(
            {
                "case": name,
                "impedance_ohm": float(result.traces["impedance_ohm"][-1]),
                "power_w": float(result.traces["power_w"][-1]),
                "reach_below_mm": axis_z_mm - float(inside.min()),
                "reach_above_mm": float(inside.max()) - axis_z_mm,
                "width_mm": result.lesion.width_mm,
                "length_mm": result.lesion.length_mm,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-mm", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    start = time.perf_counter()
    oo_rows = []
    for zone in (CORTICAL_BONE, TRABECULAR_BONE):
        for thickness in SHELL_THICKNESS_MM:
            if thickness == 0.0 and zone is TRABECULAR_BONE:
                continue
            _, row = reactive_zone_run(thickness, zone, cell_mm=args.cell_mm)
            oo_rows.append(row)
            print(
                f"OO shell {row['thickness_mm']:4.1f} mm sigma {row['zone_sigma_s_per_m']:.3f}: "
                f"max outside {row['max_outside_c']:6.1f} C, width {row['width_mm']:6.2f} mm, "
                f"{row['impedance_ohm']:6.1f} ohm",
                flush=True,
            )
    lumbar_rows = _lumbar_runs(args.cell_mm)
    for r in lumbar_rows:
        print(
            f"TP {r['case']:40s} {r['impedance_ohm']:6.1f} ohm {r['power_w']:5.2f} W "
            f"below {r['reach_below_mm']:5.2f} above {r['reach_above_mm']:5.2f} mm",
            flush=True,
        )
    out = {
        "cell_mm": args.cell_mm,
        "tissue": TISSUE,
        "osteoid_osteoma": oo_rows,
        "tp_root": lumbar_rows,
        "wall_s": round(time.perf_counter() - start, 1),
        "date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wall {out['wall_s']} s -> {args.out}")


if __name__ == "__main__":
    main()
