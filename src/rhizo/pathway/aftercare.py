"""Discharge criteria and the personalised aftercare plan, rendered as Markdown or HTML.

The plan is data (sections of cited items); the renderers only format it.
HTML is escaped with :func:`html.escape` so no patient field can inject markup.
"""

from __future__ import annotations

import html
from datetime import date

from pydantic import BaseModel

from rhizo import DISCLAIMER
from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import entries
from rhizo.pathway.followup import ScheduledReview, follow_up_schedule

SECTION_ORDER = (
    "discharge",
    "first 24 hours",
    "wound care",
    "medicines",
    "activity",
    "what to expect",
    "call us",
)


class AftercareSection(BaseModel):
    """A titled group of cited instructions."""

    title: str
    items: list[Cited]


class AftercarePlan(BaseModel):
    """A patient's discharge and aftercare plan."""

    patient_name: str | None
    procedure_date: date | None
    sedation: bool
    sections: list[AftercareSection]
    follow_ups: list[ScheduledReview]
    disclaimer: str = DISCLAIMER


def discharge_criteria() -> list[Cited]:
    """What must be true before the patient goes home."""
    return [
        Cited.from_entry(item) for item in entries("aftercare") if item["section"] == "discharge"
    ]


def plan_aftercare(
    *,
    procedure_date: date | None = None,
    sedation: bool = False,
    patient_name: str | None = None,
    extra_notes: list[str] | None = None,
) -> AftercarePlan:
    """Build the plan; sedation adds its items, a date adds the follow-up schedule.

    ``extra_notes`` (for example drug restart times from the pre-procedure plan)
    are shown under medicines, marked as the clinic's own instructions.
    """
    grouped: dict[str, list[Cited]] = {title: [] for title in SECTION_ORDER}
    for item in entries("aftercare"):
        if item.get("applies_when") == "sedation" and not sedation:
            continue
        grouped[item["section"]].append(Cited.from_entry(item))
    for note in extra_notes or []:
        grouped["medicines"].append(
            Cited(text=note, source="your clinic's pre-procedure plan", evidence="local_protocol")
        )
    return AftercarePlan(
        patient_name=patient_name,
        procedure_date=procedure_date,
        sedation=sedation,
        sections=[
            AftercareSection(title=title, items=items) for title, items in grouped.items() if items
        ],
        follow_ups=follow_up_schedule(procedure_date) if procedure_date else [],
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
        lines += [f"## {section.title.capitalize()}", ""]
        for item in section.items:
            lines.append(f"- {_md(item.text)}  ")
            lines.append(f"  *Source: {_md(item.source)}*")
        lines.append("")
    if plan.follow_ups:
        lines += ["## Follow-up", ""]
        lines += [f"- {visit.due.isoformat()}: {_md(visit.label)}" for visit in plan.follow_ups]
        lines.append("")
    lines += [f"> {plan.disclaimer}", ""]
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
        parts.append(f"<h2>{e(section.title.capitalize())}</h2><ul>")
        for item in section.items:
            parts.append(f"<li>{e(item.text)}<br><small>Source: {e(item.source)}</small></li>")
        parts.append("</ul>")
    if plan.follow_ups:
        parts.append("<h2>Follow-up</h2><ul>")
        parts += [
            f"<li>{e(visit.due.isoformat())}: {e(visit.label)}</li>" for visit in plan.follow_ups
        ]
        parts.append("</ul>")
    parts.append(f'<p class="disclaimer"><em>{e(plan.disclaimer)}</em></p></body></html>')
    return "\n".join(parts)
