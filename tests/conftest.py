"""Shared test configuration: headless plotting and the optional-dependency idiom."""

from __future__ import annotations

import importlib.util
import os
import tempfile

import matplotlib
import pytest

matplotlib.use("Agg")
# Lesion tables (rhizo.physics.surrogate_cache) built on this machine must not change
# what the tests see: every test session starts with an empty cache of its own.
os.environ["RHIZO_CACHE_DIR"] = tempfile.mkdtemp(prefix="rhizo-test-cache-")


def _importorskip(module_name: str) -> tuple[bool, pytest.MarkDecorator]:
    """Return (available, skip-marker) for an optional dependency (xarray's idiom)."""
    available = importlib.util.find_spec(module_name) is not None
    return available, pytest.mark.skipif(not available, reason=f"requires {module_name}")


has_cupy, requires_cupy = _importorskip("cupy")
