"""Time after a procedure in calendar months, as a fraction: the durability curves' time axis.

``months_elapsed(day, on)`` is ``n + f``: ``n`` completed calendar months
(:func:`rhizo.pathway.dates.whole_months_between`) and ``f`` the share of the
next calendar month gone by, in days:

    f = (on - months_after(day, n)) / (months_after(day, n + 1) - months_after(day, n)).

So ``months_elapsed(day, on) >= N`` exactly when ``on >= months_after(day, N)``:
"at risk at 3 months" on a Kaplan-Meier curve drawn against this time is the
same calendar rule as the 3-month review window (:mod:`rhizo.pathway.windows`)
and the responder check. A plain ``days / 30.44`` would put day 91 before or
after "3 months" depending on the start month (3 calendar months are 89 to 92
days).

Evidence: definition (local protocol), built on the calendar-month rule of
:mod:`rhizo.pathway.dates`.
"""

from __future__ import annotations

from datetime import date

from rhizo.pathway.dates import months_after, whole_months_between


def months_elapsed(day: date, on: date) -> float:
    """Calendar months from ``day`` to ``on`` (``on >= day``), with the part month as a fraction.

    ``ValueError`` when ``on`` is before ``day``.
    """
    whole = whole_months_between(day, on)
    start = months_after(day, whole)
    length = (months_after(day, whole + 1) - start).days
    return whole + (on - start).days / length
