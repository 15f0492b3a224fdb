"""In relief or not: one score against the baseline, under a relief threshold.

A score is *in relief* when the NRS reduction from the baseline, as a
percentage of the baseline (:func:`rhizo.pathway.outcomes.percent_relief`),
meets the threshold: at or above it when the threshold is inclusive (Cohen
2010: ">= 50 %"), strictly above when not (Hurley 2022 cervical repeat rule:
"> 30 %"). A baseline of 0 cannot show relief.

The clinic's responder threshold is the knowledge entry ``outcomes/responder``:
>= 50 % relief (Cohen SP et al. 2010, Multicenter, randomized, comparative
cost-effectiveness study comparing 0, 1, and 2 diagnostic medial branch blocks
before lumbar facet radiofrequency denervation, Anesthesiology 113:395,
abstract, positive outcome; evidence: primary). The responder verdict adds
Cohen's global-effect criterion where a PGIC was recorded
(:mod:`rhizo.pathway.responder`). It is not the 30 % change that Farrar 2001
(Pain 94:149, abstract, read) and IMMPACT (Dworkin 2008, J Pain 9:105, Table 1
via the Bandolier summary: >= 30 % moderately, >= 50 % substantially
important) call clinically *important*: that is
:func:`rhizo.pathway.outcomes.nrs_change_is_important`, a different quantity.
"""

from __future__ import annotations

from datetime import date

from rhizo.pathway.facts import entry
from rhizo.pathway.outcomes import percent_relief
from rhizo.pathway.policies import Threshold

#: A dated NRS score: (day, nrs 0-10). Plain tuples, so a pass over a registry stays cheap.
Score = tuple[date, int]
#: A dated NRS score with the PGIC (1-7) recorded at the same follow-up, or None.
Review = tuple[date, int, int | None]


def _responder_threshold() -> Threshold:
    rule = entry("outcomes", "responder")
    return Threshold(value=float(rule["min_relief_percent"]), inclusive=True)


#: >= 50 % NRS reduction (Cohen 2010; knowledge ``outcomes/responder``).
RESPONDER_THRESHOLD = _responder_threshold()
#: Calendar months the responder's relief is judged at (knowledge ``outcomes/responder``).
RESPONDER_MONTHS = int(entry("outcomes", "responder")["min_duration_months"])


def check_nrs(value: object, *, field: str) -> int:
    """``value`` when it is an integer 0-10, else ``ValueError`` naming ``field`` and the value."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{field} {value!r} is not an integer NRS 0-10")
    return value


def in_relief(baseline_nrs: int, nrs: int, threshold: Threshold = RESPONDER_THRESHOLD) -> bool:
    """True when ``nrs`` shows at least (inclusive) or more than the threshold's relief."""
    relief = percent_relief(baseline_nrs, nrs)
    return relief is not None and meets(relief, threshold)


def meets(percent: float, threshold: Threshold) -> bool:
    """True when ``percent`` is at or above an inclusive threshold, or above a strict one."""
    return percent >= threshold.value if threshold.inclusive else percent > threshold.value
