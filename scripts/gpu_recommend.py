"""On a GPU machine: `rhizo recommend` with the single engine and with --backend cupy.

Prints each run's wall time and whether the two rankings agree (same settings in
the same order, capture probabilities equal to 1e-9). Used by scripts/gpu_check.sh.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from rhizo.cli import main
from rhizo.planning.lesions import clear_cache


def run(backend: str) -> tuple[float, list[dict[str, object]]]:
    clear_cache()
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(["recommend", "--joint", "L4-L5", "--backend", backend, "--json"])
    seconds = time.perf_counter() - start
    if code != 0:
        sys.exit(f"recommend --backend {backend} exited {code}")
    return seconds, json.loads(out.getvalue())["ranking"]


if __name__ == "__main__":
    run("cupy")  # warm-up: CUDA context and kernels
    single_s, single = run("single")
    gpu_s, gpu = run("cupy")
    keys = ("gauge", "tip_mm", "temp_c", "time_s", "angle_deg", "lesions_per_nerve")
    same_order = [tuple(r[k] for k in keys) for r in single] == [
        tuple(r[k] for k in keys) for r in gpu
    ]
    close = all(
        abs(float(a["joint_capture_probability"]) - float(b["joint_capture_probability"])) < 1e-9  # type: ignore[arg-type]
        for a, b in zip(single, gpu, strict=True)
    )
    print(
        json.dumps(
            {
                "single_s": round(single_s, 2),
                "cupy_s": round(gpu_s, 2),
                "same_order": same_order,
                "same_probabilities": close,
            }
        )
    )
