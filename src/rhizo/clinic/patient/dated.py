"""Which columns date an event in a patient's record (the birth-date checks read them).

A domain marks such a column with ``mapped_column(info=event_date("label"))``;
:func:`rhizo.clinic.patient.records.check_birth_before_record` finds every marked
column in the metadata, so the patient domain names no other domain's model.
"""

from __future__ import annotations

#: The key in a column's ``info`` that marks it as the date of an event in a patient's record.
EVENT_DATE = "rhizo_patient_event_date"


def event_date(label: str) -> dict[str, str]:
    """The column ``info`` marking a patient-record event date; ``label`` names the event in
    words (it appears in the 422 message, e.g. "follow-up")."""
    return {EVENT_DATE: label}
