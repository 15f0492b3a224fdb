"""Why is the model's gauge trend (22 -> 16 G) short of Cosman 2014? One cause at a time.

Run: ``.venv/bin/python scripts/gauge_causes.py [--json PATH]``.

Published: Cosman ER Jr, Dolensky JR, Hoffman RA, Pain Med 2014;15:2020-36
(abstract): going from 22 to 16 G raises the average lesion width by 58-65 %
(+3-4 mm) at 80 C and 2 minutes, sharp cannulae, tips 5/6/10/15 mm, edges by
photographic temperature inference.

The trend is computed as the mean over the four tips of W16/W22 - 1 (and of
W16 - W22 in mm), at 80 C held 120 s after the 15 s ramp, chicken breast at 21 C.
Each row changes one thing from the engine default (blunt tip, thermocouple = mean
of the distal 1 mm of metal, sigma slope 1.5 %/C, metal conducts heat, 50 C
isotherm as Cosman's edge), through the public API or by monkeypatching a module
constant for the duration of the row only. Prints a table and writes JSON (default
benchmarks/results/gauge_causes.json).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import rhizo.physics as physics
from rhizo.physics import LesionProtocol, LesionResult, get_tissue, simulate
from rhizo.physics.lesion import measure

ROOT = Path(__file__).resolve().parent.parent
TIPS_MM = (5.0, 6.0, 10.0, 15.0)
BENCH = "chicken-breast-ex-vivo"
PUBLISHED = "+58-65 % (+3-4 mm)"


@contextmanager
def patched_constant(name: str, value: float) -> Iterator[None]:
    """Set a module constant in every rhizo.physics module that has it, then restore."""
    saved: list[tuple[Any, object]] = []
    for info in pkgutil.iter_modules(physics.__path__, prefix="rhizo.physics."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        if hasattr(module, name):
            saved.append((module, getattr(module, name)))
            setattr(module, name, value)
    if not saved:
        raise SystemExit(f"no rhizo.physics module defines {name}: the row would test nothing")
    try:
        yield
    finally:
        for module, old in saved:
            setattr(module, name, old)


def isotherm_width_mm(result: LesionResult, threshold_c: float) -> float:
    """Width (mm) of the region whose peak temperature reached ``threshold_c``."""
    dims = measure(
        boundary=f"isotherm_{threshold_c:g}c",
        grid=result.grid,
        field=result.peak_temperature_c,
        threshold=threshold_c,
        metal=result.metal,
        tip_length_m=result.protocol.electrode.tip_length_m,
    )
    return float(dims.width_mm)


Width = Callable[[LesionResult], float]


Run = Callable[[int, float], LesionResult]


def trend(
    make: Callable[[int, float], LesionProtocol] | None, width: Width, run: Run | None = None
) -> dict[str, float]:
    """Pooled 22 -> 16 G gain over the four tips for one protocol family (or runner)."""
    if run is None:
        if make is None:
            raise ValueError("trend needs a protocol family or a runner")
        family = make

        def run(gauge: int, tip: float) -> LesionResult:
            return simulate(family(gauge, tip))

    narrow, wide = [], []
    for tip in TIPS_MM:
        narrow.append(width(run(22, tip)))
        wide.append(width(run(16, tip)))
    n, w = np.array(narrow), np.array(wide)
    return {
        "gain_percent": float(np.mean(w / n - 1) * 100),
        "gain_mm": float(np.mean(w - n)),
        "width_22g_mm": [round(float(x), 3) for x in n],  # type: ignore[dict-item]
        "width_16g_mm": [round(float(x), 3) for x in w],  # type: ignore[dict-item]
    }


def protocol_family(**changes: Any) -> Callable[[int, float], LesionProtocol]:
    def make(gauge: int, tip: float) -> LesionProtocol:
        settings = {"set_temperature_c": 80.0, "duration_s": 120.0, "tissue": BENCH, **changes}
        return LesionProtocol(gauge=gauge, tip_length_mm=tip, **settings)

    return make


def at_50c(result: LesionResult) -> float:
    return isotherm_width_mm(result, 50.0)


def rows() -> Iterator[tuple[str, str, Callable[[], dict[str, float]]]]:
    """(cause, variant, computation) for every row of the table."""
    default = protocol_family()
    yield (
        "none (engine default)",
        "blunt, TC distal 1 mm, 50 C edge",
        lambda: trend(default, at_50c),
    )
    yield (
        "default, Arrhenius edge",
        "Omega >= 1 of the tissue's damage model",
        lambda: trend(default, lambda r: float(r.lesion.width_mm)),
    )
    for threshold in (45.0, 55.0, 60.0):
        yield (
            "photographic edge",
            f"peak >= {threshold:g} C",
            partial(lambda t: trend(default, lambda r: isotherm_width_mm(r, t)), threshold),
        )
    yield (
        "tip shape",
        "sharp (15 deg cone), Cosman's cannulae",
        lambda: trend(protocol_family(tip_kind="sharp"), at_50c),
    )
    for span_m, label in ((0.5e-3, "distal 0.5 mm"), (2.0e-3, "distal 2 mm"), (1.0, "whole tip")):

        def by_span(span: float = span_m) -> dict[str, float]:
            with patched_constant("THERMOCOUPLE_SPAN_M", span):
                return trend(default, at_50c)

        yield "thermocouple position", label, by_span

    def mixed(gauge: int, tip: float) -> LesionResult:
        with patched_constant("THERMOCOUPLE_SPAN_M", 1.0 if gauge == 16 else 1.0e-3):
            return simulate(default(gauge, tip))

    yield (
        "thermocouple position",
        "16 G whole tip, 22 G distal 1 mm",
        lambda: trend(None, at_50c, run=mixed),
    )
    chicken = get_tissue(BENCH)
    for slope in (0.0, 0.02, 0.03):
        tissue = chicken.model_copy(update={"conductivity_temperature_coefficient_per_k": slope})
        yield (
            "sigma(T) slope",
            f"{slope * 100:g} %/C (default 1.5)",
            partial(lambda t: trend(protocol_family(tissue=t), at_50c), tissue),
        )
    yield (
        "heat carried by the metal",
        "metal_conducts_heat=False (TC = tissue at the tip)",
        lambda: trend(protocol_family(metal_conducts_heat=False), at_50c),
    )
    yield (
        "set-time reading",
        "2 min total incl. 15 s ramp (105 s hold)",
        lambda: trend(protocol_family(duration_s=105.0), at_50c),
    )


def markdown(table: list[dict[str, Any]]) -> str:
    """The table for docs/validation.md."""
    lines = [
        "| cause | variant | 22->16 G gain | mm | change vs default | published |",
        "|---|---|---|---|---|---|",
    ]
    base = table[0]["gain_percent"]
    for row in table:
        lines.append(
            f"| {row['cause']} | {row['variant']} | {row['gain_percent']:+.1f} % "
            f"| {row['gain_mm']:+.2f} | {row['gain_percent'] - base:+.1f} points | {PUBLISHED} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "gauge_causes.json"
    )
    args = parser.parse_args(argv)
    table = []
    for cause, variant, compute in rows():
        started = time.perf_counter()
        result = compute()
        row = {"cause": cause, "variant": variant, **result}
        row["seconds"] = round(time.perf_counter() - started, 1)
        table.append(row)
        print(
            f"{cause:<28} {variant:<48} {row['gain_percent']:+6.1f} % {row['gain_mm']:+5.2f} mm",
            flush=True,
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"published": PUBLISHED, "rows": table}, indent=2))
    print()
    print(markdown(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
