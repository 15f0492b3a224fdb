"""Which nerves to treat per joint, and what the anatomy behind each answer rests on."""

from __future__ import annotations

import pytest

from rhizo.pathway.protocol import nerves_for_joint


@pytest.mark.parametrize(
    ("joint", "nerves"),
    [
        # Lumbar Ln-Ln+1 by the medial branches of Ln-1 and Ln (recalled segmental anatomy).
        ("L4-L5", ["L3 medial branch", "L4 medial branch"]),
        ("L1-L2", ["T12 medial branch", "L1 medial branch"]),
        ("L5-S1", ["L4 medial branch", "L5 dorsal ramus"]),
        # Cervical Cn-Cn+1 by Cn and Cn+1; C2-C3 by the third occipital nerve (Govind 2003).
        ("C5-C6", ["C5 medial branch", "C6 medial branch"]),
        ("C2-C3", ["third occipital nerve"]),
    ],
)
def test_targets(joint: str, nerves: list[str]) -> None:
    assert nerves_for_joint(joint).nerves == nerves


def test_cervical_levels_are_shown_as_recalled() -> None:
    # Audit W5: the entry's own section says the segmental levels were recalled.
    basis = nerves_for_joint("C3-C4").basis
    cervical = [cited for cited in basis if "third occipital" in cited.source]
    assert cervical
    assert all(cited.evidence == "recalled" for cited in cervical)
    assert not any(cited.verified for cited in cervical)


def test_two_nerves_per_joint_rests_on_a_lay_page() -> None:
    basis = nerves_for_joint("L4-L5").basis
    assert basis[0].evidence == "patient_information"
    assert not basis[0].verified


@pytest.mark.parametrize("joint", ["L5-L6", "C7-T1", "T4-T5", "L4"])
def test_outside_the_covered_joints(joint: str) -> None:
    with pytest.raises(ValueError, match="joint"):
        nerves_for_joint(joint)
