"""The durability pass at 1,000,000 completed procedures: vectorised arrays vs the per-course loop.

Synthetic arrays, generated deterministically (seeded NumPy generator): one
million procedures spread over 2020-2025 with a baseline NRS of 4-10 (5 % with
none), each with 0-7 scores after it (reviews near 14 days and 1, 3, 6, 9, 12
and 18 months, jittered by up to +-12 days, some missed); relief drawn per
procedure, fading at a drawn month, with one score in ten a transient flare.
Then, on the same arrays:

- ``courses``: :func:`rhizo.clinic.outcomes.arrays.courses` (every course, the
  definition of :func:`rhizo.pathway.course.course_of`), median of ``--repeats``;
- ``reviews``: :func:`rhizo.clinic.outcomes.arrays.reviews` at 3 and 6 months;
- ``loop``: :func:`rhizo.pathway.course.course_of` called per procedure on a
  ``--loop-sample`` subsample, extrapolated linearly to all procedures (the
  per-course pass the clinic ran before), and its answers compared with the
  vectorised ones on that subsample (must be equal);
- ``kaplan_meier``: the curve fitted to every course.

Prints a table and writes ``benchmarks/results/durability.json``.

    python benchmarks/durability.py                    # 1,000,000 procedures
    python benchmarks/durability.py --procedures 100000 --repeats 3   # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from rhizo.clinic.outcomes import arrays
from rhizo.pathway.course import course_of
from rhizo.stats.survival import kaplan_meier

RESULTS = Path(__file__).parent / "results" / "durability.json"
#: Review days after the procedure the synthetic scores are drawn near.
REVIEW_DAYS = (14, 30, 91, 183, 274, 365, 548)


def synthetic(n: int, seed: int = 20261201) -> arrays.ScoreRows:
    """``n`` procedures and their scores (layout of arrays.ScoreRows), from ``seed``."""
    rng = np.random.default_rng(seed)
    first, last = date(2020, 1, 1).toordinal(), date(2025, 12, 31).toordinal()
    day = rng.integers(first, last, n, dtype=np.int64)
    baseline = rng.integers(4, 11, n, dtype=np.int64)
    baseline[rng.random(n) < 0.05] = -1
    # Per procedure: relief reached or not, the month it fades, and which reviews happened.
    relieved = rng.random(n) < 0.7
    fades_day = rng.exponential(200.0, n)
    kept = rng.random((n, len(REVIEW_DAYS))) < 0.75
    owner = np.repeat(np.arange(n, dtype=np.int64), kept.sum(axis=1))
    offset = np.broadcast_to(np.asarray(REVIEW_DAYS), (n, len(REVIEW_DAYS)))[kept]
    offset = offset + rng.integers(-12, 13, offset.size)
    in_relief = relieved[owner] & (offset < fades_day[owner])
    flare = rng.random(offset.size) < 0.1
    good = np.where(in_relief & ~flare, 0.3, 0.9)
    base = np.maximum(baseline[owner], 4)
    nrs = np.clip(np.round(base * good + rng.normal(0, 0.8, offset.size)), 0, 10).astype(np.int64)
    score_day = day[owner] + np.maximum(offset, 1)
    order = np.lexsort((score_day, owner))
    return arrays.ScoreRows(
        day=day,
        baseline=baseline,
        score_of=owner[order],
        score_day=score_day[order],
        nrs=nrs[order],
    )


def _median(seconds: list[float]) -> float:
    return round(statistics.median(seconds), 4)


def _loop(rows: arrays.ScoreRows, sample: np.ndarray) -> tuple[float, list[Any]]:
    """Seconds for pathway.course.course_of per sampled procedure, and its answers."""
    starts = np.searchsorted(rows.score_of, sample, side="left")
    ends = np.searchsorted(rows.score_of, sample, side="right")
    inputs = []
    for i, lo, hi in zip(sample.tolist(), starts.tolist(), ends.tolist(), strict=True):
        scores = [
            (date.fromordinal(d), n)
            for d, n in zip(rows.score_day[lo:hi].tolist(), rows.nrs[lo:hi].tolist(), strict=True)
        ]
        base = int(rows.baseline[i])
        inputs.append((date.fromordinal(int(rows.day[i])), None if base < 0 else base, scores))
    start = time.perf_counter()
    answers = [course_of(day=d, baseline_nrs=b, scores=s) for d, b, s in inputs]
    return time.perf_counter() - start, answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.procedures < 1 or args.repeats < 1 or args.loop_sample < 1:
        parser.error("--procedures, --repeats and --loop-sample must be >= 1")

    start = time.perf_counter()
    rows = synthetic(args.procedures)
    generate_s = time.perf_counter() - start
    as_of = date(2026, 6, 1).toordinal()

    course_s, review_s = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        courses = arrays.courses(rows)
        course_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        for months in (3, 6):
            arrays.reviews(rows, months=months, as_of=as_of)
        review_s.append(time.perf_counter() - start)
    start = time.perf_counter()
    kaplan_meier(courses.event_months[courses.assessable], courses.ended[courses.assessable])
    km_s = time.perf_counter() - start

    rng = np.random.default_rng(1)
    sample = np.sort(
        rng.choice(args.procedures, min(args.loop_sample, args.procedures), replace=False)
    )
    loop_s, answers = _loop(rows, sample)
    mismatches = 0
    for i, answer in zip(sample.tolist(), answers, strict=True):
        if answer is None:
            mismatches += bool(courses.assessable[i])
            continue
        got = (date.fromordinal(int(courses.event_day[i])), bool(courses.ended[i]))
        mismatches += got != (answer.event_on, answer.ended) or not courses.assessable[i]
    per_procedure_us = 1e6 * loop_s / sample.size
    result = {
        "benchmark": "durability",
        "procedures": args.procedures,
        "scores": int(rows.score_of.size),
        "assessable_courses": int(np.count_nonzero(courses.assessable)),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "numpy": np.__version__,
        "generate_s": round(generate_s, 3),
        "courses_median_s": _median(course_s),
        "courses_all_s": [round(s, 4) for s in course_s],
        "reviews_3_and_6_months_median_s": _median(review_s),
        "kaplan_meier_s": round(km_s, 4),
        "loop_sample": int(sample.size),
        "loop_sample_s": round(loop_s, 3),
        "loop_per_procedure_us": round(per_procedure_us, 2),
        "loop_extrapolated_s": round(per_procedure_us * args.procedures / 1e6, 2),
        "loop_vs_vectorised_mismatches": int(mismatches),
    }
    result["speedup"] = round(result["loop_extrapolated_s"] / result["courses_median_s"], 1)
    rows_out = [
        (f"vectorised courses (median of {args.repeats})", f"{result['courses_median_s']:.3f} s"),
        (
            "vectorised reviews at 3 + 6 months",
            f"{result['reviews_3_and_6_months_median_s']:.3f} s",
        ),
        ("Kaplan-Meier fit, all courses", f"{km_s:.3f} s"),
        (f"per-course loop, {sample.size} sampled", f"{loop_s:.3f} s"),
        ("per-course loop, extrapolated", f"{result['loop_extrapolated_s']:.1f} s"),
        ("speed-up", f"{result['speedup']:.0f} x"),
        ("loop vs vectorised mismatches", str(mismatches)),
    ]
    print(f"durability pass: {args.procedures:,} procedures, {rows.score_of.size:,} scores")
    width = max(len(name) for name, _ in rows_out)
    for name, value in rows_out:
        print(f"  {name:<{width}}  {value:>10}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
