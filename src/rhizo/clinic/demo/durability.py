"""Published durability of relief after lumbar medial-branch RF, for the synthetic cohort.

The figures, copied with their sources (project research notes, clinical.md 1e):

- Streitberger 2011, Eur Spine J (PMC3229738), real-world cohort: success 76 %
  at 7-21 days, 32 % at 6 months, 22 % at 1 year; median success duration
  17 weeks.
- MacVicar 2013 (SIS-standard practice): relief lasted about 15 months after the
  first RFN and 13 months after repeats (the optimistic end; not used for the
  default curve).
- Cohen 2010: a responder has >= 50 % relief lasting >= 3 months (the line
  drawn on the pain plot, from rhizo.pathway's knowledge base).

The cohort draws, for each procedure, whether it succeeds (76 %) and, if so,
how many weeks the relief lasts from the survival curve below, conditional on
early success: S(0)=1, S(17 wk)=0.5 (median), S(26 wk)=0.32/0.76, S(52 wk)=0.22/0.76,
then a linear tail to 0 at 104 weeks.
"""

from __future__ import annotations

import itertools
import random

EARLY_SUCCESS = 0.76  # Streitberger 2011: success at 7-21 days
SUCCESS_6_MONTHS = 0.32  # Streitberger 2011
SUCCESS_12_MONTHS = 0.22  # Streitberger 2011
MEDIAN_SUCCESS_WEEKS = 17.0  # Streitberger 2011

#: (weeks, survival of relief among early successes), piecewise linear.
SURVIVAL: tuple[tuple[float, float], ...] = (
    (0.0, 1.0),
    (MEDIAN_SUCCESS_WEEKS, 0.5),
    (26.0, SUCCESS_6_MONTHS / EARLY_SUCCESS),
    (52.0, SUCCESS_12_MONTHS / EARLY_SUCCESS),
    (104.0, 0.0),
)


def draw_relief_weeks(rng: random.Random) -> float:
    """Weeks of relief for one early success (inverse transform of :data:`SURVIVAL`)."""
    u = rng.random()
    for (w0, s0), (w1, s1) in itertools.pairwise(SURVIVAL):
        if s1 <= u <= s0:
            return w0 + (s0 - u) / (s0 - s1) * (w1 - w0)
    return SURVIVAL[-1][0]  # pragma: no cover - u == 0 exactly
