"""Lesion edges measured for a batch at once equal exact edges and one-at-a-time edges.

Reference: fields whose boundary is known exactly. f(r, z) = min(1 - r/R, 1 - |z - c|/H)
is linear in r at the radial edge r = R and linear in z at the axial ends z = c +- H,
so the linear interpolation between cell centres that the measurement uses finds them
exactly: width 2R, length 2H, distal extension c + H, proximal -L - (c - H). Then the
batch measurement (every lesion in one pass, the engine's path) must equal each
lesion's own measurement bit for bit, including an empty lesion and one that fills
its rows to the domain's edge.
"""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics.grid import AxisymmetricGrid
from rhizo.physics.lesion import measure, measure_batch, radius_profile, radius_profiles

GRID = AxisymmetricGrid(
    r_faces_m=np.linspace(0.0, 10e-3, 41), z_faces_m=np.linspace(-12e-3, 8e-3, 81)
)
NO_METAL = np.zeros(GRID.shape, dtype=bool)
TIP_M = 5e-3
#: (R, c, H) in metres per lesion; R beyond the domain fills each row to its edge.
LESIONS = ((3.1e-3, -2.0e-3, 4.3e-3), (1.7e-3, 1.1e-3, 2.9e-3), (12e-3, -4.0e-3, 3.3e-3))


def _field(radius_m: float, centre_m: float, half_length_m: float) -> np.ndarray:
    r, z = GRID.centres
    return np.minimum(1.0 - r / radius_m, 1.0 - np.abs(z - centre_m) / half_length_m)


def _fields() -> np.ndarray:
    empty = -np.ones(GRID.shape)
    return np.stack([*(_field(*lesion) for lesion in LESIONS), empty])


def test_batch_edges_are_the_exact_edges() -> None:
    dims = measure_batch(
        boundary="arrhenius",
        grid=GRID,
        fields=_fields(),
        threshold=0.0,
        metal=NO_METAL,
        tip_length_m=TIP_M,
    )
    for (radius, centre, half), got in zip(LESIONS, dims, strict=False):
        expected_radius = min(radius, float(GRID.r_faces_m[-1]))
        assert got.width_mm == pytest.approx(2e3 * expected_radius, rel=1e-12)
        assert got.length_mm == pytest.approx(2e3 * half, rel=1e-12)
        assert got.distal_extension_mm == pytest.approx(max(centre + half, 0.0) * 1e3, abs=1e-12)
        assert got.proximal_extension_mm == pytest.approx(
            max(-TIP_M - (centre - half), 0.0) * 1e3, abs=1e-12
        )
        assert got.volume_mm3 > 0
    empty = dims[-1]
    assert (empty.width_mm, empty.length_mm, empty.volume_mm3) == (0.0, 0.0, 0.0)


def test_a_batch_measures_each_lesion_as_it_is_measured_alone() -> None:
    fields = _fields()
    # A cannula's metal in the corner: metal counts as inside (the lesion includes it).
    metal = NO_METAL.copy()
    metal[:2, 30:50] = True
    for threshold, cells in ((0.0, NO_METAL), (0.3, metal)):
        batch = measure_batch(
            boundary="isotherm_50c",
            grid=GRID,
            fields=fields,
            threshold=threshold,
            metal=cells,
            tip_length_m=TIP_M,
        )
        profiles = radius_profiles(GRID, fields, threshold, cells)
        for index, field in enumerate(fields):
            alone = measure(
                boundary="isotherm_50c",
                grid=GRID,
                field=field,
                threshold=threshold,
                metal=cells,
                tip_length_m=TIP_M,
            )
            assert batch[index] == alone
            np.testing.assert_array_equal(
                profiles[index], radius_profile(GRID, field, threshold, cells)
            )
