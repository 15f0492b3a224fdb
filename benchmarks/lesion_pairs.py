"""Old vs new engine, interleaved processes: warm CPU time of one 18 G / 10 mm / 80 C / 90 s lesion.

Run: ``.venv/bin/python benchmarks/lesion_pairs.py --old-src /tmp/old/src [--pairs 5] [--runs 25]``
where ``--old-src`` is the ``src`` folder of another checkout (e.g. ``git worktree add
/tmp/old c942c17``). Each pair runs one process on the old source, then one on this
checkout's, BLAS pinned to one thread; each process makes one cold call and then
``--runs`` warm calls and reports the median and minimum process-CPU time. Interleaving
means both engines see the same neighbours on a shared machine: compare within a pair.
Prints a table and writes benchmarks/results/lesion_pairs.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).with_name("results") / "lesion_pairs.json"
NEW_SRC = Path(__file__).resolve().parents[1] / "src"

CASE = """
import json, statistics, time
from rhizo.physics import LesionProtocol, simulate
protocol = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90)
simulate(protocol)
cpus = []
for _ in range({runs}):
    start = time.process_time()
    result = simulate(protocol)
    cpus.append(time.process_time() - start)
print(json.dumps({{"median_ms": 1e3 * statistics.median(cpus), "min_ms": 1e3 * min(cpus),
                  "width_mm": result.lesion.width_mm}}))
"""


def run_case(src: Path, runs: int) -> dict[str, float]:
    """One process on ``src``: its warm median and minimum CPU ms and the width."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))
    out = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", CASE.format(runs=runs)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--old-src", type=Path, required=True, help="src folder of the old checkout"
    )
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not (args.old_src / "rhizo" / "physics").is_dir():
        parser.error(f"--old-src {args.old_src} has no rhizo/physics package")
    if args.pairs < 1 or args.runs < 1:
        parser.error("--pairs and --runs must be at least 1")
    pairs = []
    print("pair  old median ms  old min ms  new median ms  new min ms  ratio")
    for index in range(args.pairs):
        old = run_case(args.old_src, args.runs)
        new = run_case(NEW_SRC, args.runs)
        pairs.append({"old": old, "new": new})
        ratio = old["median_ms"] / new["median_ms"]
        print(
            f"{index + 1:>4}  {old['median_ms']:>13.1f}  {old['min_ms']:>10.1f}"
            f"  {new['median_ms']:>13.1f}  {new['min_ms']:>10.1f}  {ratio:>5.2f}"
        )
    summary = {
        "old_median_ms": statistics.median(p["old"]["median_ms"] for p in pairs),
        "new_median_ms": statistics.median(p["new"]["median_ms"] for p in pairs),
        "load_average": os.getloadavg(),
        "old_src": str(args.old_src),
        "pairs": pairs,
    }
    print(
        f"median of medians: old {summary['old_median_ms']:.1f} ms, "
        f"new {summary['new_median_ms']:.1f} ms"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
