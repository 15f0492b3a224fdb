"""The peak tissue temperature table of docs/physics.md ("Boiling and the peak tissue temperature").

Run: ``.venv/bin/python scripts/boiling_table.py`` -- prints a Markdown table: for each
lesion, the hottest tissue cell (``LesionResult.peak_tissue_temperature_c``) at the
default grid and at ``GridSettings().refined(4)`` (2x for the 600 s lesion, to keep the
run short), and when tissue first reached 100 C (from the result's boiling warning).
Default tissue (the bench chicken at 21 C) as in the table; minutes of CPU.
"""

from __future__ import annotations

import re

from rhizo.physics import GridSettings, LesionProtocol, simulate

CASES: list[tuple[str, dict[str, object], int]] = [
    ("blunt, 80 C, 90 s", {"set_temperature_c": 80, "duration_s": 90}, 4),
    ("blunt, 90 C, 120 s", {"set_temperature_c": 90, "duration_s": 120}, 4),
    (
        "blunt 22 G / 5 mm, 90 C, 120 s",
        {"gauge": 22, "tip_length_mm": 5, "set_temperature_c": 90, "duration_s": 120},
        4,
    ),
    ("blunt, 95 C, 120 s", {"set_temperature_c": 95, "duration_s": 120}, 4),
    (
        "blunt 16 G / 20 mm, 95 C, 600 s",
        {"gauge": 16, "tip_length_mm": 20, "set_temperature_c": 95, "duration_s": 600},
        2,
    ),
    ("sharp, 90 C, 120 s", {"tip_kind": "sharp", "set_temperature_c": 90, "duration_s": 120}, 4),
]
_BOILED = re.compile(r"tissue reached 100 C at ([0-9.]+) s")


def boiled_at(warnings: list[str]) -> str:
    """'no', or 'yes (t s)' from the result's boiling warning."""
    for warning in warnings:
        match = _BOILED.search(warning)
        if match:
            return f"yes ({float(match.group(1)):.1f} s)"
    return "no"


def main() -> None:
    print("| lesion | default grid | refined | tissue reaches 100 C (default; refined) |")
    print("|---|---|---|---|")
    for label, settings, factor in CASES:
        protocol = LesionProtocol(**settings)  # type: ignore[arg-type]
        coarse = simulate(protocol)
        fine = simulate(LesionProtocol(**settings, grid=GridSettings().refined(factor)))  # type: ignore[arg-type]
        print(
            f"| {label} | {coarse.peak_tissue_temperature_c:.1f} C "
            f"| {fine.peak_tissue_temperature_c:.1f} C ({factor}x) "
            f"| {boiled_at(list(coarse.warnings))}; {boiled_at(list(fine.warnings))} |"
        )


if __name__ == "__main__":
    main()
