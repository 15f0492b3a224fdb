"""Joint capture: the probability that every target nerve of a joint is captured.

A joint is denervated only when each nerve that supplies it is captured. The
nerves are lesioned through separate placements (other levels, other passes), so
they are taken as independent:

    P(joint) = prod_i p_i,

and its interval multiplies the nerves' 95 % bounds, ``[prod_i low_i, prod_i high_i]``:
a conservative envelope (each factor's bound is reached only with probability
2.5 %, so the product of bounds is wider than an exact joint interval), not an
exact interval. One definition, used by the ranking
(:func:`rhizo.planning.recommend.joint_capture`) and by a recorded procedure's
joint capture (:func:`rhizo.clinic.procedure.prediction.procedure_joint_capture`).

Several lesions on one nerve are not independent of each other (the same
anatomy, the second placed relative to the first): :func:`nerve_capture_floor`
takes the best of them, a lower bound on P(at least one captures).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def joint_capture_of(
    nerves: Sequence[tuple[float, tuple[float, float]]],
) -> tuple[float, tuple[float, float]]:
    """(P, (low, high)) of the joint from each nerve's (p, (low, high)); (1, (1, 1)) for none.

    Every p and bound must be in [0, 1] (ValueError naming the value otherwise); the
    bounds are used as given (a Wilson bound at n of n can round to 1 - 1e-16).
    """
    probability, low, high = 1.0, 1.0, 1.0
    for p, (p_low, p_high) in nerves:
        for name, value in (("p", p), ("low", p_low), ("high", p_high)):
            if not 0.0 <= value <= 1.0:  # also refuses NaN
                raise ValueError(f"{name} {value!r}: allowed a probability in [0, 1]")
        probability *= p
        low *= p_low
        high *= p_high
    return probability, (low, high)


def nerve_capture_floor(lesions: Iterable[tuple[str, float]]) -> Mapping[str, float]:
    """{nerve: the largest lesion capture probability on it} from (nerve, p) pairs:
    P(a nerve captured by at least one of its lesions) >= the best single lesion's."""
    best: dict[str, float] = {}
    for nerve, p in lesions:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"capture probability {p!r} of {nerve!r}: allowed [0, 1]")
        best[nerve] = max(best.get(nerve, 0.0), p)
    return best
