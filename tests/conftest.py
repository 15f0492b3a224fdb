"""Shared test configuration: headless plotting and the optional-dependency idiom."""

from __future__ import annotations

import importlib.util

import matplotlib
import pytest

matplotlib.use("Agg")


def _importorskip(module_name: str) -> tuple[bool, pytest.MarkDecorator]:
    """Return (available, skip-marker) for an optional dependency (xarray's idiom)."""
    available = importlib.util.find_spec(module_name) is not None
    return available, pytest.mark.skipif(not available, reason=f"requires {module_name}")


has_cupy, requires_cupy = _importorskip("cupy")
