"""Where the next lesion should go: hand-computed gains, shared vs independent error."""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.planning import CannulaPlacement, PlacementError, get_joint
from rhizo.planning.anatomy import Nerve
from rhizo.planning.lesions import LesionProfile
from rhizo.planning.next_lesion import _IndependentPlacement, next_lesion, second_placement

#: A straight nerve with no anatomical variation, 1 mm thick, 30 mm long.
FIXED = Nerve(
    name="fixed test nerve",
    landmark="-",
    diameter_mm=1.0,
    diameter_range_mm=(1.0, 1.0),
    lateral_sd_mm=0.0,
    course_angle_sd_deg=0.0,
    length_mm=30.0,
)
ROD = LesionProfile.cylinder(radius_mm=2.0, tip_length_mm=10.0)
EXACT = PlacementError.none()


def _planned(**fields: float) -> CannulaPlacement:
    """A placement at the given height (no lowering onto bone, where the model has it)."""
    if "tip_stop" in CannulaPlacement.model_fields:
        return CannulaPlacement.model_validate({**fields, "tip_stop": "planned"})
    return CannulaPlacement.model_validate(fields)


def _first() -> CannulaPlacement:
    return _planned(offset_mm=0.0)


@pytest.mark.parametrize(
    ("along_mm", "pair_length_mm"),
    [(0.0, 10.0), (4.0, 14.0), (6.0, 16.0), (9.0, 19.0), (12.0, 10.0), (-6.0, 16.0)],
)
def test_second_lesion_along_the_nerve_gains_the_hand_computed_length(
    along_mm: float, pair_length_mm: float
) -> None:
    """A 10 mm rod of radius 2 mm on a straight nerve: the pair covers 10 + shift mm while
    the rods overlap, and a gap leaves the longest stretch at 10 mm. The margin is linear
    between centreline points 0.2 mm apart, so a rod's abrupt end is found within
    0.75 x 0.2 = 0.15 mm (margin +1.5 mm inside, -0.5 mm outside): lengths within 0.31 mm,
    gains (the same two ends) within 0.05 mm."""
    answer = next_lesion(
        ROD,
        FIXED,
        _first(),
        across_mm=(0.0,),
        along_mm=(along_mm,),
        errors=EXACT,
        samples=20,
        radius_cv=0.0,
    )
    assert answer.first_mean_captured_length_mm == pytest.approx(10.0, abs=0.31)
    option = answer.options[0]
    assert option.mean_captured_length_mm == pytest.approx(pair_length_mm, abs=0.31)
    assert option.gain_length_mm == pytest.approx(pair_length_mm - 10.0, abs=0.05)


def test_across_the_nerve_the_pair_captures_when_either_rod_holds_the_whole_nerve() -> None:
    """Rod radius 2, nerve radius 0.5: a rod captures when its axis is within 1.5 mm."""
    first = _planned(offset_mm=3.0)  # misses: 3 > 1.5
    answer = next_lesion(
        ROD,
        FIXED,
        first,
        across_mm=(-4.0, -3.0, -2.0, -1.0),
        along_mm=(0.0,),
        errors=EXACT,
        samples=10,
        min_length_mm=3.0,
        radius_cv=0.0,
    )
    assert answer.first_probability == 0.0
    gains = {o.delta_across_mm: o.gain_probability for o in answer.options}
    # second axis at y = -1, 0, 1 (within 1.5 mm) captures; y = 2 does not
    assert gains == {-4.0: 1.0, -3.0: 1.0, -2.0: 1.0, -1.0: 0.0}


def test_second_placement_expresses_positions_on_both_sides() -> None:
    first = CannulaPlacement(offset_mm=1.0)
    beyond, index = second_placement(first, 2.0, 3.0)
    assert (beyond.offset_mm, beyond.along_nerve_mm, index) == (3.0, 3.0, 0)
    nearer, index = second_placement(first, -3.0, 0.0)
    assert (nearer.offset_mm, nearer.lesion_count, nearer.lesion_spacing_mm, index) == (
        1.0,
        2,
        3.0,
        1,
    )


def test_gains_are_never_negative_and_a_coincident_second_lesion_gains_nothing() -> None:
    joint = get_joint("L4-L5")
    profile = LesionProfile.ellipsoid(radius_mm=2.5, half_length_mm=6.0, tip_length_mm=10.0)
    for mode in ("shared", "independent"):
        answer = next_lesion(
            profile,
            joint.nerves[0],
            CannulaPlacement(offset_mm=1.0),
            error_mode=mode,
            samples=300,
            seed=4,
        )
        assert all(o.gain_probability >= 0.0 for o in answer.options)
        assert all(o.gain_length_mm >= -1e-9 for o in answer.options)
        if mode == "shared":
            same = next(
                o for o in answer.options if o.delta_across_mm == 0 and o.delta_along_mm == 0
            )
            assert same.gain_probability == 0.0
            assert same.gain_length_mm == pytest.approx(0.0, abs=1e-9)
        assert answer.best.capture_probability >= answer.first_probability


def test_independent_error_keeps_the_anatomy_and_redraws_the_placement() -> None:
    """sample_poses' layout: rows 0-4 of standard_normal((7, n)) are placement error."""
    seed = np.random.SeedSequence(9)
    anatomy, errors = seed.spawn(2)
    plain = np.random.default_rng(anatomy)
    split = _IndependentPlacement(anatomy, errors)
    a, b = plain.standard_normal((7, 50)), split.standard_normal((7, 50))
    assert np.array_equal(a[5:], b[5:])
    assert not np.allclose(a[:5], b[:5])
    assert np.array_equal(plain.uniform(0.7, 1.3, 50), split.uniform(0.7, 1.3, 50))
    # with no placement error, independent and shared passes are the same
    joint = get_joint("L4-L5")
    profile = LesionProfile.ellipsoid(radius_mm=2.5, half_length_mm=6.0, tip_length_mm=10.0)
    shared, independent = (
        next_lesion(
            profile,
            joint.nerves[0],
            CannulaPlacement(offset_mm=1.0),
            error_mode=mode,
            errors=EXACT,
            samples=200,
            seed=3,
        )
        for mode in ("shared", "independent")
    )
    assert [o.mean_captured_length_mm for o in shared.options] == pytest.approx(
        [o.mean_captured_length_mm for o in independent.options]
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="one lesion"):
        next_lesion(ROD, FIXED, CannulaPlacement(lesion_count=2), samples=10)
    with pytest.raises(ValueError, match="error_mode"):
        next_lesion(ROD, FIXED, _first(), error_mode="both", samples=10)  # type: ignore[arg-type]
