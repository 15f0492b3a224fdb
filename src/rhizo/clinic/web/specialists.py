"""The specialist pages: every specialist's volume and 6-month responder rate, and one
specialist's qualifications and outcomes beside the clinic's.

Who may open them: the roles holding ``specialist:read`` (admin, clinician,
nurse, researcher). The figures are aggregates over many patients and name
none, so they are not one patient's record; patients and auditors are refused
(docs/web.md, "Specialist page"). Each view is audited as a ``read`` of
``specialist_outcomes`` by :mod:`rhizo.clinic.outcomes.figures`.

The figures come from the app's one outcome snapshot
(:func:`rhizo.clinic.outcomes.service.snapshot_cache`, shared with the
Outcomes page and the API, refreshed in the background every few minutes);
the page says when they were computed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.outcomes import figures, service
from rhizo.clinic.outcomes.figures import OutcomeSummary, SpecialistOutcomes
from rhizo.clinic.outcomes.proportion import MIN_DENOMINATOR, Proportion
from rhizo.clinic.web.access import SpecialistReader
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.pages import render
from rhizo.plots.specialist import RateBar, RateGroup, rates_svg

router = APIRouter(include_in_schema=False)


def _bar(label: str, proportion: Proportion) -> RateBar:
    interval = proportion.interval
    return RateBar(
        label=label,
        events=proportion.events,
        total=proportion.total,
        low=interval[0] if interval else None,
        high=interval[1] if interval else None,
    )


def _groups(name: str, own: OutcomeSummary, clinic: OutcomeSummary) -> tuple[RateGroup, ...]:
    groups: list[RateGroup] = []
    for mine, theirs in zip(own.checkpoints, clinic.checkpoints, strict=True):
        months = mine.checkpoint.months
        groups.append(
            RateGroup(
                f"responders\nat {months} months",
                (_bar(name, mine.responders), _bar("whole clinic", theirs.responders)),
            )
        )
    for mine, theirs in zip(own.checkpoints, clinic.checkpoints, strict=True):
        months = mine.checkpoint.months
        groups.append(
            RateGroup(
                f"PGIC much or very much\nimproved at {months} months",
                (_bar(name, mine.satisfied), _bar("whole clinic", theirs.satisfied)),
            )
        )
    return tuple(groups)


def outcome_svg(result: SpecialistOutcomes) -> str:
    """The rates plot of the specialist page."""
    name = result.specialist.display_name
    return rates_svg(
        _groups(name, result.own, result.clinic),
        min_total=MIN_DENOMINATOR,
        title=f"{name} and the whole clinic: rates with 95 % Wilson intervals",
    )


@router.get("/specialists", response_class=HTMLResponse)
def specialists_page(request: Request, user: SpecialistReader, session: SessionDep) -> Response:
    """Every specialist: volume and the responder rate at 6 months."""
    cache = service.snapshot_cache(request.app.state)
    snapshot = cache.get(clinic_today(request))
    overview = figures.specialists_overview(
        session=session,
        actor=user.actor,
        as_of=snapshot.as_of,
        zone=clinic_zone(request),
        snapshot=snapshot,
    )
    return render(
        request,
        "specialists.html",
        {
            "overview": overview,
            "defs": overview.definitions,
            "months": overview.definitions.checkpoints[-1].months,
            "min_n": MIN_DENOMINATOR,
            "max_age_min": round(cache.max_age_s / 60),
        },
        user=user,
    )


@router.get("/specialists/{specialist_id}", response_class=HTMLResponse)
def specialist_page(
    request: Request, user: SpecialistReader, session: SessionDep, specialist_id: DbId
) -> Response:
    """One specialist: qualifications, volume, rates with CIs beside the clinic, plot."""
    cache = service.snapshot_cache(request.app.state)
    snapshot = cache.get(clinic_today(request))
    result = figures.specialist_outcomes(
        session=session,
        actor=user.actor,
        specialist_id=specialist_id,
        as_of=snapshot.as_of,  # yesterday's, for the seconds after midnight
        zone=clinic_zone(request),
        snapshot=snapshot,
    )
    return render(
        request,
        "specialist.html",
        {
            "r": result,
            "s": result.specialist,
            "defs": result.definitions,
            "plot_svg": outcome_svg(result),
            "pairs": list(zip(result.own.checkpoints, result.clinic.checkpoints, strict=True)),
            "min_n": MIN_DENOMINATOR,
            "max_age_min": round(cache.max_age_s / 60),
        },
        user=user,
    )
