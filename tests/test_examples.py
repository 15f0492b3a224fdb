"""Examples are tests (scikit-fem's idiom): each runs, and its number is checked."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from rhizo.physics import LesionProtocol, simulate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_lesion_example(capsys: pytest.CaptureFixture[str]) -> None:
    """The example's width is the grid-converged width of its setting.

    Reference: the same protocol on a grid refined 2x in space and time; the
    engine's default grid is within 1 % of a 4x refined one (docs/performance.md),
    so a 2 % gap would mean the example no longer runs the engine's converged model.
    """
    namespace = runpy.run_path(str(EXAMPLES / "lesion_20G_10mm_80C_90s.py"))
    assert "width" in capsys.readouterr().out
    protocol = LesionProtocol(gauge=20, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    refined = simulate(protocol.model_copy(update={"grid": protocol.grid.refined(2.0)}))
    assert namespace["lesion"].width_mm == pytest.approx(refined.lesion.width_mm, rel=0.02)
