"""Each discharge of a record as the pages list it: its findings, escalation, and whether open.

The findings are the pathway's red flags of the stored discharge
(:func:`rhizo.clinic.discharge.service.findings`, on
:func:`rhizo.pathway.discharge_safety.red_flags`), recomputed from the stored
fields, so the page and the refusal use one rule. A discharge with a red flag
stays *open* until the patient has a follow-up dated after the discharge's
clinic day (the review since discharge); the patient page lists the open ones
at its top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.discharge.models import Discharge
from rhizo.clinic.discharge.service import findings
from rhizo.clinic.procedure.models import Procedure
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.discharge_safety import DischargeRedFlag


@dataclass(frozen=True)
class DischargeSummary:
    """One discharge, its procedure, its red flags and its clinic day."""

    discharge: Discharge
    procedure: Procedure
    findings: tuple[DischargeRedFlag, ...]
    #: The clinic's calendar day of the discharge.
    day: date
    #: A red flag and no follow-up dated after :attr:`day`.
    open: bool

    @property
    def text(self) -> str:
        """One line: disposition, pain, escort, instructions."""
        d = self.discharge
        return (
            f"discharged {d.disposition.value}"
            + (f", NRS {d.nrs}" if d.nrs is not None else ", NRS not asked")
            + (", escort present" if d.escort_present else ", no escort")
            + (", instructions given" if d.instructions_given else ", instructions not given")
            + (", new deficit" if d.new_deficit else "")
            + f" (after {self.procedure.region.value} RF of {self.procedure.performed_at:%Y-%m-%d})"
        )

    @property
    def detail(self) -> list[str]:
        """Each red flag, then the escalation (or that none was recorded)."""
        lines = [f"red flag: {flag.text}" for flag in self.findings]
        d = self.discharge
        if d.escalation_kind is not None:
            kind = d.escalation_kind.value.replace("_", " ")
            lines.append(f"escalation: {kind} by {d.escalated_by}: {d.escalation_reason}")
        elif self.findings:
            lines.append("no escalation recorded")
        return lines


def discharge_summaries(record: PatientRecord, zone: tzinfo) -> list[DischargeSummary]:
    """Every discharge of ``record``, oldest first, days in the clinic's ``zone``."""
    procedures = {p.id: p for p in record.procedures}
    summaries = []
    for d in record.discharges:
        procedure = procedures[d.procedure_id]
        day = procedure_day(d.discharged_at, zone)
        flags = tuple(findings(d, procedure))
        reviewed = any(f.followed_on > day for f in record.followups)
        summaries.append(
            DischargeSummary(
                discharge=d,
                procedure=procedure,
                findings=flags,
                day=day,
                open=bool(flags) and not reviewed,
            )
        )
    return summaries
