"""Benchmark: 10,000 Monte Carlo placements for one cannula setting.

Times ``estimate_capture`` for the L3 medial branch at L4-L5 with an 18 G,
10 mm, 80 C, 90 s lesion, parallel, 1 mm offset: once with the lesion already
simulated (cache warm: the Monte Carlo alone) and once including the lesion
simulation (cache cleared). Prints a table and writes
benchmarks/results/capture.json. Run: ``.venv/bin/python benchmarks/capture.py``.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import clear_cache

SAMPLES = 10_000
REPEATS = 5
RESULTS = Path(__file__).parent / "results" / "capture.json"


def main() -> None:
    protocol = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    nerve = get_joint("L4-L5").nerves[0]
    placement = CannulaPlacement(angle_deg=0.0, offset_mm=1.0)

    included: list[float] = []
    excluded: list[float] = []
    probability = 0.0
    for repeat in range(REPEATS):
        clear_cache()
        started = time.perf_counter()
        profile = lesion_for(protocol)
        simulated = time.perf_counter()
        estimate = estimate_capture(profile, nerve, placement, samples=SAMPLES, seed=repeat)
        finished = time.perf_counter()
        included.append(finished - started)
        excluded.append(finished - simulated)
        probability = estimate.capture_probability

    rows = {
        "monte_carlo_only_s": statistics.median(excluded),
        "with_simulation_s": statistics.median(included),
        "per_sample_us": statistics.median(excluded) / SAMPLES * 1e6,
    }
    print(f"capture benchmark: {SAMPLES} placements, median of {REPEATS}")
    print(f"{'case':<34}{'seconds':>10}")
    print(f"{'Monte Carlo, simulation excluded':<34}{rows['monte_carlo_only_s']:>10.3f}")
    print(f"{'Monte Carlo + one simulation':<34}{rows['with_simulation_s']:>10.3f}")
    print(f"{'per placement (us)':<34}{rows['per_sample_us']:>10.1f}")
    print(f"capture probability {probability:.3f} (target < 0.5 s excluded)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "capture",
                "samples": SAMPLES,
                "repeats": REPEATS,
                "setting": protocol.model_dump(
                    include={"gauge", "tip_length_mm", "set_temperature_c", "duration_s"}
                ),
                "nerve": nerve.name,
                "capture_probability": probability,
                "python": platform.python_version(),
                "machine": platform.machine(),
                **rows,
                "runs_excluded_s": excluded,
                "runs_included_s": included,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
