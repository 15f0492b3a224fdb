"""The batched engine on a CUDA GPU (CuPy) gives the CPU's lesions.

Runs only where CuPy sees a GPU (the lent device machine; see docs/physics.md,
"GPU"). Reference: the same batch on the CPU backend, itself checked against
the single-lesion engine in test_batch.py. The GPU inverts the shared heat
matrix and the potential preconditioner densely in float64, so results agree
to solver precision, not bit for bit.
"""

from __future__ import annotations

import pytest

from rhizo.physics import LesionProtocol
from rhizo.physics.backend import cupy_available
from rhizo.physics.batch import simulate_batch

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not cupy_available(), reason="needs CuPy and a CUDA GPU"),
]


def test_gpu_batch_equals_cpu_batch() -> None:
    protocols = [
        LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=t, duration_s=d)
        for t in (60.0, 70.0, 80.0, 90.0)
        for d in (30.0, 90.0)
    ]
    cpu = simulate_batch(protocols, backend="numpy")
    gpu = simulate_batch(protocols, backend="cupy")
    for c, g in zip(cpu, gpu, strict=True):
        assert g.diagnostics["gpu"] == 1.0
        for name in ("arrhenius", "isotherm_50c"):
            assert g.boundaries[name].width_mm == pytest.approx(
                c.boundaries[name].width_mm, rel=1e-6
            )
            assert g.boundaries[name].length_mm == pytest.approx(
                c.boundaries[name].length_mm, rel=1e-6
            )
        assert g.energy_j == pytest.approx(c.energy_j, rel=1e-6)
        assert g.traces.tip_temperature_c[-1] == pytest.approx(c.traces.tip_temperature_c[-1])
