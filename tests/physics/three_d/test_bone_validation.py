"""A low-conductivity reactive zone insulates: the osteoid-osteoma RFA model's statement.

Source: PubMed 26862788 (computer model of RF ablation of a cortical osteoid osteoma,
abstract read; PRIMARY for its text): "The presence of the reactive zone drastically
reduced the maximum temperature reached outside it. The temperature drop was
proportional to the thickness of the reactive zone: from 68 C when it was absent to
44 C when it is 7.5 mm thick" (17 G, 90 C, 300 s; sigma_rz 0.02-0.087 S/m).

Coarse check (1.0 mm cells, 45 s, 16 G / 5 mm tip as in benchmarks/bone_validation.py):
a cortical-bone shell (0.02 S/m) of 5 mm about a 5 mm nidus of muscle-in-vivo lowers the
hottest tissue just outside it against no shell, and (the abstract: "lower temperatures
meant higher sigma_rz values") the same shell at the muscle's sigma lowers it more.
Measured at this grid (45 s): 63.2 C (no shell, r 5-6.5 mm), 54.9 C (cortical shell,
r 10-11.5 mm), 50.2 C (shell at muscle sigma). A shell that conducts like bone but is
not there (none) fails the first check; swapping the sigmas fails the second.
"""

from __future__ import annotations

import pytest
from benchmarks.bone_validation import reactive_zone_run

from rhizo.physics.three_d.geometry3d import CORTICAL_BONE
from rhizo.physics.tissue import get_tissue

CELL_MM = 1.0
DURATION_S = 60.0


@pytest.fixture(scope="module")
def max_outside_c() -> dict[str, float]:
    muscle_sigma = CORTICAL_BONE.model_copy(
        update={
            "electrical_conductivity_s_per_m": get_tissue(
                "muscle-in-vivo"
            ).electrical_conductivity_s_per_m
        }
    )
    out = {}
    for name, thickness, zone in (
        ("none", 0.0, CORTICAL_BONE),
        ("cortical", 5.0, CORTICAL_BONE),
        ("tissue_sigma", 5.0, muscle_sigma),
    ):
        _, row = reactive_zone_run(thickness, zone, cell_mm=CELL_MM, duration_s=DURATION_S)
        out[name] = row["max_outside_c"]
    return out


def test_reactive_zone_lowers_the_temperature_outside_it(max_outside_c: dict[str, float]) -> None:
    # No shell: the hottest tissue at r = 5-6.5 mm; a 5 mm shell: at r = 10-11.5 mm. The
    # published drop is 68 -> 44 C (0 -> 7.5 mm, 300 s); here (45 s, 1 mm cells) the drop must
    # exceed 5 C.
    assert max_outside_c["cortical"] < max_outside_c["none"] - 5.0
    # "lower temperatures meant higher sigma_rz values": the same shell at the muscle's
    # sigma (0.446 S/m) leaves it cooler outside than at cortical bone's 0.02 S/m.
    assert max_outside_c["tissue_sigma"] < max_outside_c["cortical"] - 2.0
