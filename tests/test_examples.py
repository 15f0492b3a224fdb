"""Examples are tests (scikit-fem's idiom): each runs and pins one number."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_lesion_example(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = runpy.run_path(str(EXAMPLES / "lesion_20G_10mm_80C_90s.py"))
    assert "width" in capsys.readouterr().out
    # Pinned regression value (docs/validation.md, 20 G row): 6.06 mm.
    assert namespace["lesion"].width_mm == pytest.approx(6.06, abs=0.05)
