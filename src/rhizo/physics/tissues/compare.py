"""The engine's value of each published lesion quantity (one definition for docs and tests).

Quantities (mm unless stated), from the Arrhenius (Omega >= 1) boundary of the
protocol's damage model:

- ``radius_from_axis_mm`` = W / 2; ``radial_beyond_metal_mm`` = W / 2 - a (a the
  cannula's outer radius); ``width_mm`` = W; ``distal_extension_mm`` beyond the tip;
- ``section_area_mm2`` = pi/4 W L, the ellipse through width and length;
- ``width_gain_mm``: mean W at the second gauge minus mean W at the first, over the
  listed tips (``gauge`` "22-16", ``tip_mm`` "5/6/10/15");
- ``ellipsoid_volume_cm3`` = pi/6 W^2 L / 1000, the prolate ellipsoid through them;
- ``width_gain_percent``: 100 (mean W at the second set temperature / mean W at the
  first - 1) over the listed gauges (``set_temp_c`` "60-90", ``gauge`` "16/18/20/22"),
  or at the second duration against the first (``duration_s`` "90-180").
"""

from __future__ import annotations

import numpy as np

from rhizo.physics.damage import DAMAGE_MODELS, ArrheniusModel
from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM
from rhizo.physics.engine import simulate
from rhizo.physics.lesion import LesionDimensions
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.tissues import PublishedLesion


def _dimensions(
    row: PublishedLesion,
    damage: ArrheniusModel | None,
    *,
    gauge: int,
    tip_mm: float,
    set_temp_c: float,
    duration_s: float | None = None,
) -> LesionDimensions:
    model = damage
    if model is None and row.damage != "tissue":
        model = DAMAGE_MODELS[row.damage]
    protocol = LesionProtocol.model_validate(
        {
            "tissue": row.engine_tissue,
            "gauge": gauge,
            "tip_length_mm": tip_mm,
            "set_temperature_c": set_temp_c,
            "duration_s": float(row.duration_s) if duration_s is None else duration_s,
            **({"damage": model} if model is not None else {}),
        }
    )
    return simulate(protocol).boundaries["arrhenius"]


def radial_beyond_metal_mm(width_mm: float, gauge: int) -> float:
    """Radial extent of a lesion beyond the cannula's surface: W / 2 - a (mm)."""
    return width_mm / 2 - GAUGE_OUTER_DIAMETER_MM[gauge] / 2


def _pair(text: str) -> tuple[float, float]:
    first, second = text.split("-")
    return float(first), float(second)


def _many(text: str) -> list[float]:
    return [float(part) for part in text.split("/")]


def engine_value(row: PublishedLesion, *, damage: ArrheniusModel | None = None) -> float:
    """The engine's value of ``row.quantity`` for the row's stand-in setting.

    ``damage`` replaces the damage model (None: the tissue's own, or the row's named one).
    """
    if row.quantity == "width_gain_mm":
        small, large = _pair(row.gauge)
        widths = {
            gauge: float(
                np.mean(
                    [
                        _dimensions(
                            row,
                            damage,
                            gauge=int(gauge),
                            tip_mm=tip,
                            set_temp_c=float(row.set_temp_c),
                        ).width_mm
                        for tip in _many(row.tip_mm)
                    ]
                )
            )
            for gauge in (small, large)
        }
        return float(widths[large] - widths[small])
    if row.quantity == "width_gain_percent" and "-" in row.duration_s:
        short, long = _pair(row.duration_s)
        widths = {
            seconds: _dimensions(
                row,
                damage,
                gauge=int(row.gauge),
                tip_mm=float(row.tip_mm),
                set_temp_c=float(row.set_temp_c),
                duration_s=seconds,
            ).width_mm
            for seconds in (short, long)
        }
        return float(100.0 * (widths[long] / widths[short] - 1.0))
    if row.quantity == "width_gain_percent":
        low, high = _pair(row.set_temp_c)
        widths = {
            temperature: float(
                np.mean(
                    [
                        _dimensions(
                            row,
                            damage,
                            gauge=int(g),
                            tip_mm=float(row.tip_mm),
                            set_temp_c=temperature,
                        ).width_mm
                        for g in _many(row.gauge)
                    ]
                )
            )
            for temperature in (low, high)
        }
        return float(100.0 * (widths[high] / widths[low] - 1.0))
    gauge = int(row.gauge)
    dims = _dimensions(
        row, damage, gauge=gauge, tip_mm=float(row.tip_mm), set_temp_c=float(row.set_temp_c)
    )
    values = {
        "radius_from_axis_mm": dims.width_mm / 2,
        "radial_beyond_metal_mm": radial_beyond_metal_mm(dims.width_mm, gauge),
        "width_mm": dims.width_mm,
        "distal_extension_mm": dims.distal_extension_mm,
        "section_area_mm2": np.pi / 4 * dims.width_mm * dims.length_mm,
        "ellipsoid_volume_cm3": np.pi / 6 * dims.width_mm**2 * dims.length_mm / 1000.0,
    }
    if row.quantity not in values:
        raise ValueError(f"quantity {row.quantity!r} is not one the engine computes")
    return float(values[row.quantity])


def relative_error(value: float, row: PublishedLesion) -> float:
    """Signed error against the published range: 0 inside it, else vs the nearer edge (%)."""
    low, high = row.published_low, row.published_high
    if low is not None and value < low:
        return 100.0 * (value - low) / low if low else float(value - low)
    if high is not None and value > high:
        return 100.0 * (value - high) / high if high else float(value - high)
    return 0.0


def within(value: float, row: PublishedLesion) -> bool:
    """True when ``value`` lies inside the published range (missing edges are open)."""
    low, high = row.published_low, row.published_high
    return (low is None or value >= low) and (high is None or value <= high)
