"""How long a request's pain has lasted, against the pathway's chronic-pain duration.

The rule is the pathway's own (``screening:chronic-pain`` in
``rhizo/pathway/knowledge/screening.yaml``, the one
:mod:`rhizo.pathway.candidacy` applies): pain that has lasted more than 3 months
(Treede 2019, the IASP classification of chronic pain for ICD-11; evidence
``primary``), in weeks by :attr:`rhizo.pathway.policies.DurationRule.min_weeks`
(months * 52 / 12). The triage queue shows it as a hint, never as a refusal:
a person in pain for a shorter time may still need to be seen.
"""

from __future__ import annotations

from rhizo.pathway.candidacy import chronic_pain_rule
from rhizo.pathway.policies import WEEKS_PER_MONTH

#: Weeks per unit the forms offer for "how long": months by the pathway's 52/12.
WEEKS_PER_UNIT: dict[str, float] = {"weeks": 1.0, "months": WEEKS_PER_MONTH, "years": 52.0}


def is_chronic(pain_weeks: float | None) -> bool | None:
    """Whether ``pain_weeks`` reaches the chronic-pain duration (None when not said)."""
    if pain_weeks is None:
        return None
    return pain_weeks >= chronic_pain_rule().min_weeks


def duration_words(pain_weeks: float | None) -> str:
    """The duration and the hint, for the triage queue."""
    if pain_weeks is None:
        return "not said"
    rule = chronic_pain_rule()
    shown = f"{pain_weeks:.0f} weeks" if pain_weeks >= 1 else "under a week"
    if pain_weeks >= rule.min_weeks:
        return f"{shown} (chronic: at least {rule.describe()})"
    return f"{shown} (shorter than the chronic-pain duration, {rule.describe()})"
