"""Benchmark: 10,000 Monte Carlo placements for one setting, and ``rhizo recommend`` end to end.

Times ``estimate_capture`` for the L3 medial branch at L4-L5 with an 18 G,
10 mm, 80 C, 90 s lesion, parallel, 1 mm offset: once with the lesion already
simulated (cache warm: the Monte Carlo alone) and once including the lesion
simulation (cache cleared). Process CPU seconds (``time.process_time``), median
of ``REPEATS``; the load average before and after and the git commit are written
with the figures (a shared machine's load inflates CPU time too, through cache
and memory contention).

Then ``rhizo recommend --joint L4-L5 --json`` (128 candidates, 1,000 samples per
nerve) runs as a child process on one core (``OMP/OPENBLAS/MKL_NUM_THREADS=1``)
with a fresh ``RHIZO_CACHE_DIR``: once cold (no lesion table, no stored lesion:
32 engine runs) and ``RECOMMEND_REPEATS`` times warm (the 32 lesions read back
from the planner's lesion store, :mod:`rhizo.planning.profile_store`). The
child's CPU time (user + system, ``RUSAGE_CHILDREN``) is the figure: wall time
on a shared machine measures the neighbours. Prints a table and writes
benchmarks/results/capture.json. Run: ``.venv/bin/python benchmarks/capture.py``.
"""

from __future__ import annotations

import collections
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import clear_cache

SAMPLES = 10_000
REPEATS = 3
RESULTS = Path(__file__).parent / "results" / "capture.json"
RECOMMEND_REPEATS = 3
RECOMMEND = [
    sys.executable,
    "-c",
    "import sys; from rhizo.cli import main; sys.exit(main(sys.argv[1:]))",
    *("recommend", "--joint", "L4-L5", "--json"),
]


def _child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_recommend() -> dict[str, object]:
    """CPU and wall seconds of ``rhizo recommend`` cold and warm, one thread."""
    with tempfile.TemporaryDirectory(prefix="rhizo-bench-") as cache:
        env = {
            **os.environ,
            "RHIZO_CACHE_DIR": cache,
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        runs: list[dict[str, float | str]] = []
        best = ""
        for repeat in range(1 + RECOMMEND_REPEATS):
            cpu, wall = _child_cpu_s(), time.perf_counter()
            done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                RECOMMEND, env=env, capture_output=True, text=True, check=True
            )
            runs.append(
                {
                    "case": "cold" if repeat == 0 else "warm",
                    "cpu_s": _child_cpu_s() - cpu,
                    "wall_s": time.perf_counter() - wall,
                }
            )
            payload = json.loads(done.stdout)
            ranking = payload["ranking"]
            # Machine-independent work: captured lengths computed (candidates x nerves x
            # samples each used), and how many candidates stopped at each stage.
            evaluated = sum(len(entry["nerves"]) * entry["samples"] for entry in ranking)
            by_samples = collections.Counter(entry["samples"] for entry in ranking)
            top = ranking[0]
            best = (
                f"{top['gauge']} G, {top['tip_mm']:g} mm, {top['temp_c']:g} C, "
                f"{top['time_s']:g} s, {top['technique']}"
            )
    warm = [run for run in runs if run["case"] == "warm"]
    return {
        "command": "rhizo recommend --joint L4-L5 --json",
        "cold_cpu_s": runs[0]["cpu_s"],
        "cold_wall_s": runs[0]["wall_s"],
        "warm_cpu_median_s": statistics.median(float(run["cpu_s"]) for run in warm),
        "warm_wall_median_s": statistics.median(float(run["wall_s"]) for run in warm),
        "recommended": best,
        "nerve_samples_evaluated": evaluated,
        "candidates_by_samples": {str(k): v for k, v in sorted(by_samples.items())},
        "stage_samples": payload["inputs"].get("stage_samples"),
        # With PYTHONDONTWRITEBYTECODE set every run compiles rhizo's sources again
        # (about 0.2 s of CPU an installed package does not spend).
        "bytecode_written": not os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "runs": runs,
    }


def _commit() -> str:
    """The checkout's commit (short hash, '+dirty' with uncommitted changes), or 'unknown'."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src/rhizo/planning"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent.parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def main() -> None:
    protocol = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    nerve = get_joint("L4-L5").nerves[0]
    placement = CannulaPlacement(angle_deg=0.0, offset_mm=1.0)

    included: list[float] = []
    excluded: list[float] = []
    probability = 0.0
    load_before = os.getloadavg()
    for repeat in range(REPEATS):
        clear_cache()
        started = time.process_time()
        profile = lesion_for(protocol)
        simulated = time.process_time()
        estimate = estimate_capture(profile, nerve, placement, samples=SAMPLES, seed=repeat)
        finished = time.process_time()
        included.append(finished - started)
        excluded.append(finished - simulated)
        probability = estimate.capture_probability

    rows = {
        "monte_carlo_only_s": statistics.median(excluded),
        "with_simulation_s": statistics.median(included),
        "per_sample_us": statistics.median(excluded) / SAMPLES * 1e6,
    }
    print(f"capture benchmark: {SAMPLES} placements, CPU seconds, median of {REPEATS}")
    print(f"{'case':<34}{'CPU s':>10}")
    print(f"{'Monte Carlo, simulation excluded':<34}{rows['monte_carlo_only_s']:>10.3f}")
    print(f"{'Monte Carlo + one simulation':<34}{rows['with_simulation_s']:>10.3f}")
    print(f"{'per placement (us)':<34}{rows['per_sample_us']:>10.1f}")
    print(f"capture probability {probability:.3f} (target < 0.5 s excluded)")
    recommend = time_recommend()
    print(f"\n{recommend['command']}, one thread, child CPU (wall)")
    print(f"{'case':<34}{'CPU s':>10}{'wall s':>10}")
    print(
        f"{'cold (32 engine runs)':<34}"
        f"{recommend['cold_cpu_s']:>10.2f}{recommend['cold_wall_s']:>10.2f}"
    )
    print(
        f"{f'warm, median of {RECOMMEND_REPEATS}':<34}"
        f"{recommend['warm_cpu_median_s']:>10.2f}{recommend['warm_wall_median_s']:>10.2f}"
    )
    print(f"recommended: {recommend['recommended']} (target < 2 s CPU)")
    print(
        f"work: {recommend['nerve_samples_evaluated']} nerve-samples; candidates by samples "
        f"{recommend['candidates_by_samples']}"
    )
    load_after = os.getloadavg()
    commit = _commit()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{stamp}, commit {commit}, load average {load_before[0]:.2f} -> {load_after[0]:.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "capture",
                "date": stamp,
                "commit": commit,
                "load_average_before": list(load_before),
                "load_average_after": list(load_after),
                "clock": "CPU seconds (process_time; the recommend child's user + system)",
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
                "recommend": recommend,
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
