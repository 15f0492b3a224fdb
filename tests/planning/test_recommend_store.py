"""Planner lesions kept on disk: a second run reads the file, a bad file is recomputed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from rhizo.physics import CLINICAL_TISSUE, LesionProtocol
from rhizo.planning.lesions import LesionProfile
from rhizo.planning.profile_store import clear_memory, profile_key, stored_lesion_for


def _protocol(gauge: int = 18) -> LesionProtocol:
    return LesionProtocol(tissue=CLINICAL_TISSUE, gauge=gauge)


def test_a_stored_lesion_is_read_back_without_computing(tmp_path: Path) -> None:
    calls: list[int] = []

    def compute(protocol: LesionProtocol) -> LesionProfile:
        calls.append(protocol.gauge)
        profile = LesionProfile.ellipsoid(
            radius_mm=2.0, half_length_mm=6.0, tip_length_mm=10.0, cannula_radius_mm=0.6
        )
        return replace(profile, tissue="muscle-in-vivo", source="solver", provenance="solved")

    clear_memory()
    first = stored_lesion_for(_protocol(), compute=compute, directory=tmp_path)
    clear_memory()
    second = stored_lesion_for(_protocol(), compute=compute, directory=tmp_path)
    assert calls == [18]
    assert np.array_equal(first.z_m, second.z_m)
    assert np.array_equal(first.radius_m, second.radius_m)
    assert second == replace(first, z_m=second.z_m, radius_m=second.radius_m)
    assert second.cannula_radius_m == 0.6e-3
    assert second.tissue == "muscle-in-vivo"
    assert profile_key(_protocol(18)) != profile_key(_protocol(16))


def test_a_damaged_file_is_recomputed(tmp_path: Path) -> None:
    calls: list[int] = []

    def compute(protocol: LesionProtocol) -> LesionProfile:
        calls.append(protocol.gauge)
        return LesionProfile.cylinder(radius_mm=1.0, tip_length_mm=10.0)

    clear_memory()
    stored_lesion_for(_protocol(20), compute=compute, directory=tmp_path)
    (tmp_path / f"{profile_key(_protocol(20))}.npz").write_bytes(b"not a numpy file")
    clear_memory()
    again = stored_lesion_for(_protocol(20), compute=compute, directory=tmp_path)
    assert calls == [20, 20]
    assert float(again.radius_m.max()) == 1e-3
