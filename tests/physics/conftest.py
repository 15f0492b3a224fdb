"""Shared simulations (each takes ~0.2 s; computed once per session)."""

from __future__ import annotations

from functools import cache

from rhizo.physics import LesionProtocol, LesionResult, simulate


@cache
def lesion(
    gauge: int = 18,
    tip_length_mm: float = 10.0,
    set_temperature_c: float = 80.0,
    duration_s: float = 90.0,
    tissue: str = "chicken-breast-ex-vivo",
) -> LesionResult:
    """A cached simulation of one clinical setting."""
    return simulate(
        LesionProtocol(
            gauge=gauge,
            tip_length_mm=tip_length_mm,
            set_temperature_c=set_temperature_c,
            duration_s=duration_s,
            tissue=tissue,
        )
    )
