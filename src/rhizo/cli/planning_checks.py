"""Input checks shared by ``rhizo capture``, ``recommend`` and ``next-lesion``.

Each check refuses NaN, infinities and out-of-range values with one line
naming the option, the value and what is allowed (:func:`rhizo.cli._errors.fail`,
exit code 2), before anything is computed. JSON output is written with
``allow_nan=False``, so a NaN that slipped through is an error, never invalid JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail

#: numpy's seeds are non-negative; the planner takes 32-bit seeds (reproducible, portable).
MAX_SEED = 2**32 - 1
MAX_SAMPLES = 1_000_000
#: CannulaPlacement.offset_mm's bounds (rhizo.planning.placement).
MAX_OFFSET_MM = 20.0
MAX_ALONG_MM = 20.0


def finite_in(option: str, value: float, low: float, high: float, allowed: str) -> float:
    """``value`` when finite and in ``[low, high]``; else one line naming ``option``."""
    if not math.isfinite(value) or not low <= value <= high:
        fail(option, value, allowed)
    return value


def check_finite(option: str, value: float) -> float:
    """``value`` when it is a finite number (the model's own bounds are checked after)."""
    if not math.isfinite(value):
        fail(option, value, "a finite number")
    return value


def field_bounds(model: type[BaseModel], field: str) -> tuple[float, float]:
    """The ``ge``/``le`` bounds of a pydantic model's field (the model's own rule, not restated)."""
    low, high = -math.inf, math.inf
    for rule in model.model_fields[field].metadata:
        low = float(getattr(rule, "ge", low))
        high = float(getattr(rule, "le", high))
    return low, high


def check_seed(seed: int) -> int:
    """A seed from 0 to :data:`MAX_SEED`."""
    if not 0 <= seed <= MAX_SEED:
        fail("--seed", seed, f"an integer from 0 to {MAX_SEED}")
    return seed


def check_samples(samples: int) -> int:
    """Monte Carlo samples from 1 to :data:`MAX_SAMPLES`."""
    if not 1 <= samples <= MAX_SAMPLES:
        fail("--samples", samples, f"an integer from 1 to {MAX_SAMPLES}")
    return samples


def check_offset(offset_mm: float) -> float:
    """A planned offset across the nerve from 0 to :data:`MAX_OFFSET_MM` mm."""
    return finite_in(
        "--offset-mm", offset_mm, 0.0, MAX_OFFSET_MM, f"a distance from 0 to {MAX_OFFSET_MM:g} mm"
    )


def check_angle(angle_deg: float) -> float:
    """An angle cannula-nerve from 0 (parallel) to 90 (perpendicular) degrees."""
    return finite_in(
        "--angle-deg",
        angle_deg,
        0.0,
        90.0,
        "an angle from 0 (parallel) to 90 (perpendicular) degrees",
    )


def check_min_length(min_length_mm: float, nerve_length_mm: float) -> float:
    """A captured length > 0 and at most the modelled nerve's length (mm)."""
    if not math.isfinite(min_length_mm) or not 0.0 < min_length_mm <= nerve_length_mm:
        fail(
            "--min-length-mm",
            min_length_mm,
            f"a length > 0 and <= {nerve_length_mm:g} mm (the modelled nerve's length)",
        )
    return min_length_mm


def check_plot_path(option: str, path: Path | None) -> None:
    """A plot path whose folder exists (checked before anything is computed)."""
    if path is None:
        return
    if not path.parent.is_dir():
        fail(option, str(path), "a file in an existing folder")
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        fail(option, str(path), "a .png, .svg or .pdf file")


def emit_json(payload: dict[str, Any]) -> None:
    """Print ``payload`` plus the disclaimer as strict JSON (NaN/inf raise, never printed)."""
    typer.echo(json.dumps({**payload, "disclaimer": DISCLAIMER}, indent=2, allow_nan=False))
