"""Mutation kill study: does the physics test suite catch wrong physics?

Run: ``.venv/bin/python scripts/mutate_physics.py [--only NAME ...] [--json PATH]``.

For each mutation of scripts/physics_mutants.py (and the unmutated baseline) it
runs the physics suite (tests/physics, no GPU or browser tests) in a fresh
process with the mutation applied in memory by the ``physics_mutants`` pytest
plugin, and the canonical lesion (18 G, 10 mm, 80 C, 90 s, chicken) once more to
show the mutation's size. It prints a kill table and writes JSON
(default benchmarks/results/mutation_kill.json).

A kill counts when a physics test fails; failures of the batch-vs-single tests
(tests/physics/test_batch*.py) are listed apart, since they only say that the two
engines disagree. Tests that already fail without a mutation are listed and not
counted. Exit 1 if a mutation's hook is missing (the plugin refuses to run), 3 if
a mutation survives.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))

from physics_mutants import ENV_MUTANT, ENV_RECORD, MUTATIONS  # noqa: E402

CONSISTENCY_MODULES = ("test_batch", "test_batch_gpu")
EFFECT_CODE = """
import json, sys
sys.path.insert(0, {scripts!r})
import physics_mutants
name = {name!r}
if name != "none":
    physics_mutants.apply(name)
from rhizo.physics import LesionProtocol, simulate
r = simulate(LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90))
print(json.dumps({{
    "width_arrhenius_mm": r.lesion.width_mm,
    "width_50c_mm": r.boundaries["isotherm_50c"].width_mm,
    "final_impedance_ohm": r.final_impedance_ohm,
}}))
"""


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _environment(name: str, record: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS), env.get("PYTHONPATH", "")]))
    env[ENV_MUTANT] = name
    env[ENV_RECORD] = str(record)
    # A mutant must never write lesion tables (or any cache) where unmutated runs read.
    env["XDG_CACHE_HOME"] = str(record.parent / f"{name}.cache")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def _failed_tests(junit: Path) -> tuple[list[str], int]:
    tree = ET.parse(junit)  # noqa: S314 (our own pytest run wrote it)
    failed, total = [], 0
    for case in tree.iter("testcase"):
        total += 1
        if case.find("failure") is not None or case.find("error") is not None:
            path = case.get("classname", "").replace(".", "/")
            failed.append(f"{path.rsplit('/', 1)[-1]}::{case.get('name')}")
    return failed, total


def run_one(name: str, tests: list[str], workdir: Path) -> dict[str, object]:
    """The physics suite and the canonical lesion under one mutation."""
    record = workdir / f"{name}.record.json"
    junit = workdir / f"{name}.junit.xml"
    env = _environment(name, record)
    started = time.perf_counter()
    command = [
        _python(),
        "-m",
        "pytest",
        "-q",
        "-p",
        "physics_mutants",
        "-p",
        "no:cacheprovider",
        "-m",
        "not browser",
        f"--junitxml={junit}",
        *tests,
    ]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    seconds = time.perf_counter() - started
    if not record.exists() or not junit.exists():
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"mutation {name!r} was not applied (hook missing?); see the output above")
    applied = json.loads(record.read_text())
    failed, total = _failed_tests(junit)
    effect_run = subprocess.run(  # noqa: S603 (fixed argv)
        [_python(), "-c", EFFECT_CODE.format(scripts=str(SCRIPTS), name=name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    effect = json.loads(effect_run.stdout.strip().splitlines()[-1])
    physics = [t for t in failed if t.split("::")[0] not in CONSISTENCY_MODULES]
    consistency = [t for t in failed if t not in physics]
    return {
        "mutation": name,
        "description": (MUTATIONS[name].__doc__ or "").strip() if name in MUTATIONS else "none",
        "sites": applied["sites"],
        "tests": total,
        "failed_physics": physics,
        "failed_consistency": consistency,
        "killed": bool(physics),
        "suite_s": round(seconds, 1),
        **effect,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(MUTATIONS), help="mutations to run")
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "mutation_kill.json",
        help="where to write the results",
    )
    parser.add_argument(
        "tests", nargs="*", default=["tests/physics"], help="test paths (default tests/physics)"
    )
    args = parser.parse_args(argv)
    names = ["none", *(args.only or MUTATIONS)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            row = run_one(name, args.tests, Path(tmp))
            rows.append(row)
            if name == "none":
                broken = {*row["failed_physics"], *row["failed_consistency"]}  # type: ignore[misc]
                if broken:
                    print(f"baseline fails, not counted as kills: {sorted(broken)}")
                row["failed_physics"] = row["failed_consistency"] = []
                row["baseline_failures"] = sorted(broken)
            else:
                for key in ("failed_physics", "failed_consistency"):
                    row[key] = [t for t in row[key] if t not in broken]  # type: ignore[attr-defined]
                row["killed"] = bool(row["failed_physics"])
            print(_line(row, rows[0]), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=2))
    args.json.with_suffix(".md").write_text(markdown_table(rows) + "\n")
    print()
    print(markdown_table(rows))
    survivors = [r["mutation"] for r in rows[1:] if not r["killed"]]
    if survivors:
        print(f"\nsurvived (no physics test failed): {', '.join(map(str, survivors))}")
        return 3
    return 0


def _line(row: dict[str, object], base: dict[str, object]) -> str:
    width = float(row["width_arrhenius_mm"])  # type: ignore[arg-type]
    change = (width / float(base["width_arrhenius_mm"]) - 1) * 100  # type: ignore[arg-type]
    return (
        f"{row['mutation']:<28} W {width:6.3f} mm ({change:+5.1f} %)  "
        f"physics failed {len(row['failed_physics']):2d}  "  # type: ignore[arg-type]
        f"consistency failed {len(row['failed_consistency'])}  "  # type: ignore[arg-type]
        f"{row['suite_s']} s"
    )


def _grouped(tests: list[str]) -> str:
    """'file: name (xN)' for each failed test, parameters folded together."""
    counts: dict[str, int] = {}
    for test in tests:
        module, _, name = test.partition("::")
        key = f"{module.removeprefix('test_')}: `{name.split('[')[0]}`"
        counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{key} x{n}" if n > 1 else key for key, n in counts.items())


def markdown_table(rows: list[dict[str, object]]) -> str:
    """The kill table for docs/validation.md."""
    base = float(rows[0]["width_arrhenius_mm"])  # type: ignore[arg-type]
    lines = [
        "| mutation | canonical W Arrhenius mm | W 50 C mm | final Z ohm | physics tests failed |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        width = float(row["width_arrhenius_mm"])  # type: ignore[arg-type]
        physics: list[str] = row["failed_physics"]  # type: ignore[assignment]
        consistency: list[str] = row["failed_consistency"]  # type: ignore[assignment]
        if row["mutation"] == "none":
            names = f"0 of {row['tests']}"
        else:
            names = f"**{len(physics)}**: {_grouped(physics)}" if physics else "**none: survived**"
            if consistency:
                names += f" (+{len(consistency)} batch-consistency)"
        lines.append(
            f"| {row['mutation']} | {width:.3f} ({(width / base - 1) * 100:+.1f} %) "
            f"| {float(row['width_50c_mm']):.3f} | {float(row['final_impedance_ohm']):.1f} "  # type: ignore[arg-type]
            f"| {names} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
