"""Discharge criteria and the personalised aftercare plan, rendered as text, Markdown or HTML.

The plan is data (sections of cited items); the renderers only format it.
The warning signs ("when to get help") come first, as a list, worded for the
region treated; the review dates carry labels a patient understands (the
clinician's labels stay in ``knowledge/outcomes.yaml``).

- Markdown and HTML put each item's source under it; HTML is escaped with
  :func:`html.escape`, Markdown escapes markup, so no patient field can inject it.
- Plain text has no markup and no escapes at all: each item ends with a
  bracketed number, and the sources (publication or page, with the evidence
  level) are listed once, numbered, at the end; the sections read in each
  source stay in the Markdown, HTML and JSON.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from rhizo import DISCLAIMER
from rhizo.pathway.cited import Cited
from rhizo.pathway.education import applies_to
from rhizo.pathway.facts import EVIDENCE_LABELS, Evidence, Source, entries
from rhizo.pathway.followup import follow_up_schedule
from rhizo.pathway.numbered import NumberedSources
from rhizo.pathway.policies import FacetRegion
from rhizo.pathway.premed_models import DrugHold

#: Section keys in the order shown, with the heading a patient reads.
SECTION_HEADINGS: dict[str, str] = {
    "call us": "When to get help",
    "discharge": "Before you go home",
    "first 24 hours": "The first 24 hours",
    "wound care": "Needle sites",
    "medicines": "Medicines",
    "activity": "Activity",
    "what to expect": "What to expect",
}
SECTION_ORDER = tuple(SECTION_HEADINGS)
FOLLOW_UP = "follow-up"
FOLLOW_UP_HEADING = "Your check-ups"
#: The source shown for the clinic's own notes added to a plan.
CLINIC_PLAN = "your clinic's pre-procedure plan"


class PlanItem(Cited):
    """A cited instruction; ``reference`` is its source without the section: the
    publication or page and the evidence level, as the plain-text source list shows it."""

    reference: str


def reference_of(source: Source) -> str:
    """``Author Year, Title [level]``: a source without its section (the level in words)."""
    return f"{source.author} {source.year}, {source.title} [{source.evidence_label}]"


def _item(entry: dict[str, Any]) -> PlanItem:
    source: Source = entry["source"]
    return PlanItem(
        text=str(entry["text"]),
        source=source.cite(),
        evidence=source.evidence,
        reference=reference_of(source),
    )


class AftercareSection(BaseModel):
    """A titled group of cited instructions, with an optional line introducing the list."""

    title: str
    heading: str
    lead: PlanItem | None = None
    items: list[PlanItem]


class PatientReview(BaseModel):
    """One planned review, in the patient's words."""

    id: str
    due: date
    label: str
    source: str
    evidence: Evidence
    reference: str


class AftercarePlan(BaseModel):
    """A patient's discharge and aftercare plan."""

    patient_name: str | None
    procedure_date: date | None
    sedation: bool
    region: FacetRegion | None
    sections: list[AftercareSection]
    follow_ups: list[PatientReview]
    disclaimer: str = DISCLAIMER


def discharge_criteria() -> list[Cited]:
    """What must be true before the patient goes home."""
    return [
        Cited.from_entry(item) for item in entries("aftercare") if item["section"] == "discharge"
    ]


def restart_item(hold: DrugHold) -> PlanItem:
    """What to do with one medicine after the procedure, from its pre-procedure hold.

    Paused (``yes``): restart after the hold's ``restart_after_hours``; a shared
    decision (``individualise``, ``needs_input``): restart when the prescriber
    says, with the usual interval; not paused (``no``): keep taking it. The
    source and level are the drug row's (Narouze 2018 as read in rhizo's drug table).
    """
    hours = hold.restart_after_hours
    usual = f" The usual time is {hours} hours after the procedure." if hours else ""
    if hold.hold == "yes":
        text = (
            f"Restart {hold.drug} {hours} hours after the procedure, unless the doctor who "
            "prescribes it says otherwise."
            if hours
            else f"Ask the doctor who prescribes {hold.drug} when to restart it."
        )
    elif hold.hold == "no":
        text = f"Keep taking {hold.drug} as usual, unless your clinic told you otherwise."
    else:
        text = (
            f"If you paused {hold.drug}, restart it when the doctor who prescribes it says.{usual}"
        )
    evidence: Evidence = hold.evidence or "recalled"
    return PlanItem(
        text=text,
        source=hold.source,
        evidence=evidence,
        reference=f"{hold.source.split(', ')[0]} [{EVIDENCE_LABELS[evidence]}]",
    )


def _patient_reviews(procedure_date: date) -> list[PatientReview]:
    """The review schedule (:func:`follow_up_schedule`) with each review's patient label."""
    labels = {item["review"]: item for item in entries("aftercare") if item["section"] == FOLLOW_UP}
    reviews = []
    for visit in follow_up_schedule(procedure_date):
        if visit.id not in labels:
            raise ValueError(f"aftercare.yaml has no patient label for the review {visit.id!r}")
        item = labels[visit.id]
        reviews.append(
            PatientReview(
                id=visit.id,
                due=visit.due,
                label=str(item["text"]),
                source=item["source"].cite(),
                evidence=item["source"].evidence,
                reference=reference_of(item["source"]),
            )
        )
    return reviews


def plan_aftercare(
    *,
    procedure_date: date | None = None,
    sedation: bool = False,
    patient_name: str | None = None,
    extra_notes: list[str] | None = None,
    region: FacetRegion | None = None,
    holds: Sequence[DrugHold] = (),
) -> AftercarePlan:
    """Build the plan; sedation adds its items, a date the check-ups, a region its wording.

    ``region`` (None: not known) selects the region's items, for example the
    neck's warning signs and balance advice. ``extra_notes`` (for example drug
    restart times from the pre-procedure plan) are shown under medicines,
    marked as the clinic's own instructions. ``holds`` (the pre-procedure plan's
    drug holds) add when to restart each paused medicine (:func:`restart_item`).
    """
    grouped: dict[str, list[PlanItem]] = {title: [] for title in SECTION_ORDER}
    leads: dict[str, PlanItem] = {}
    for item in entries("aftercare"):
        if item["section"] == FOLLOW_UP or not applies_to(item, region):
            continue
        if item.get("applies_when") == "sedation" and not sedation:
            continue
        if item.get("role") == "lead":
            leads[item["section"]] = _item(item)
        else:
            grouped[item["section"]].append(_item(item))
    grouped["medicines"] += [restart_item(hold) for hold in holds]
    for note in extra_notes or []:
        grouped["medicines"].append(
            PlanItem(
                text=note,
                source=CLINIC_PLAN,
                evidence="local_protocol",
                reference=f"{CLINIC_PLAN} [local protocol]",
            )
        )
    return AftercarePlan(
        patient_name=patient_name,
        procedure_date=procedure_date,
        sedation=sedation,
        region=region,
        sections=[
            AftercareSection(
                title=title, heading=SECTION_HEADINGS[title], lead=leads.get(title), items=items
            )
            for title, items in grouped.items()
            if items
        ],
        follow_ups=_patient_reviews(procedure_date) if procedure_date else [],
    )


def _title(plan: AftercarePlan) -> str:
    who = f" for {plan.patient_name}" if plan.patient_name else ""
    when = f" (procedure on {plan.procedure_date.isoformat()})" if plan.procedure_date else ""
    return f"Aftercare plan{who}{when}"


def _md(text: str) -> str:
    # Markdown passes raw HTML through, so escape it; also neutralise emphasis marks.
    return html.escape(text, quote=False).replace("*", r"\*").replace("_", r"\_")


def render_markdown(plan: AftercarePlan) -> str:
    """The plan as Markdown, each item followed by its source; text is escaped."""
    lines = [f"# {_md(_title(plan))}", ""]
    for section in plan.sections:
        lines += [f"## {_md(section.heading)}", ""]
        if section.lead is not None:
            lines += [f"{_md(section.lead.text)}  ", f"*Source: {_md(section.lead.source)}*", ""]
        for item in section.items:
            lines.append(f"- {_md(item.text)}  ")
            lines.append(f"  *Source: {_md(item.source)}*")
        lines.append("")
    if plan.follow_ups:
        lines += [f"## {FOLLOW_UP_HEADING}", ""]
        for visit in plan.follow_ups:
            lines.append(f"- {visit.due.isoformat()}: {_md(visit.label)}  ")
            lines.append(f"  *Source: {_md(visit.source)}*")
        lines.append("")
    lines += [f"> {plan.disclaimer}", ""]
    return "\n".join(lines)


def render_text(plan: AftercarePlan) -> str:
    """The plan as plain text: no markup, no escapes, one numbered source list at the end."""
    sources = NumberedSources()
    title = _title(plan)
    lines = [title, "=" * len(title), ""]
    for section in plan.sections:
        lines += [section.heading, "-" * len(section.heading)]
        if section.lead is not None:
            lines.append(f"{section.lead.text} {sources.mark(section.lead.reference)}")
        lines += [f"* {item.text} {sources.mark(item.reference)}" for item in section.items]
        lines.append("")
    if plan.follow_ups:
        lines += [FOLLOW_UP_HEADING, "-" * len(FOLLOW_UP_HEADING)]
        for visit in plan.follow_ups:
            mark = sources.mark(visit.reference)
            lines.append(f"* {visit.due.isoformat()}: {visit.label} {mark}")
        lines.append("")
    lines += sources.lines()
    lines += ["", plan.disclaimer, ""]
    return "\n".join(lines)


def render_html(plan: AftercarePlan) -> str:
    """The plan as a standalone HTML page; every text is escaped."""
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(_title(plan))}</title></head><body>",
        f"<h1>{e(_title(plan))}</h1>",
    ]
    for section in plan.sections:
        parts.append(f"<h2>{e(section.heading)}</h2>")
        if section.lead is not None:
            parts.append(
                f"<p>{e(section.lead.text)}<br><small>Source: {e(section.lead.source)}</small></p>"
            )
        parts.append("<ul>")
        for item in section.items:
            parts.append(f"<li>{e(item.text)}<br><small>Source: {e(item.source)}</small></li>")
        parts.append("</ul>")
    if plan.follow_ups:
        parts.append(f"<h2>{e(FOLLOW_UP_HEADING)}</h2><ul>")
        parts += [
            f"<li>{e(visit.due.isoformat())}: {e(visit.label)}"
            f"<br><small>Source: {e(visit.source)}</small></li>"
            for visit in plan.follow_ups
        ]
        parts.append("</ul>")
    parts.append(f'<p class="disclaimer"><em>{e(plan.disclaimer)}</em></p></body></html>')
    return "\n".join(parts)
