"""Damage per tissue and perfusion that stops as tissue coagulates."""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.tissue import Tissue, get_tissue


def _tissue(model: str) -> Tissue:
    return get_tissue("muscle-in-vivo").model_copy(update={"perfusion_model": model})


def test_vascular_stasis_fraction_is_one_minus_degree_of_stasis() -> None:
    """Chang & Nguyen 2004: w = w_b (1 - DS), DS = 1 - exp(-Omega)."""
    omega = np.array([0.0, 0.5, 1.0, 2.0, 50.0])
    degree_of_stasis = 1.0 - np.exp(-omega)
    fraction = _tissue("vascular_stasis").perfusion_fraction(omega)
    np.testing.assert_allclose(fraction, 1.0 - degree_of_stasis, rtol=1e-12, atol=1e-15)
    assert fraction[2] == pytest.approx(1.0 / np.e)


def test_stop_model_switches_perfusion_off_at_omega_one() -> None:
    omega = np.array([[0.0, 0.999], [1.0, 3.0]])
    fraction = _tissue("stop").perfusion_fraction(omega)
    assert fraction.shape == omega.shape
    assert fraction.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_constant_model_keeps_perfusion() -> None:
    omega = np.array([0.0, 10.0])
    assert _tissue("constant").perfusion_fraction(omega).tolist() == [1.0, 1.0]


def test_unknown_perfusion_model_is_refused() -> None:
    with pytest.raises(ValueError, match="perfusion_model"):
        Tissue.model_validate(
            {**get_tissue("muscle-in-vivo").model_dump(), "perfusion_model": "sometimes"}
        )
