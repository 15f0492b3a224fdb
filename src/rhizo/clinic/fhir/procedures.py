"""Procedure resources (diagnostic blocks, RF neurotomies) and lesion Observations.

A diagnostic block is a ``Procedure`` (CPT 64490/64493 when its levels lie in
one coding region) with its measured relief as Observations ``partOf`` it:
relief in % and, when recorded, hours of relief, and the baseline pain
(LOINC 72514-3) on the day.

An RF neurotomy is a ``Procedure`` (CPT 64633/64635 for the first joint; the
text says "medial branch radiofrequency neurotomy", since "rhizotomy" in
coding mostly means trigeminal rhizotomy: research notes, clinical.md 4c)
with its performer, levels as body sites, the cannulas as ``usedCode``, the
patient's conditions as reasons. Each lesion is an Observation ``partOf`` the
procedure whose components are the lesion's parameters and stimulation tests
in UCUM units, whether the safety gates let it proceed, and any override.
A lesion with a capture prediction (:mod:`rhizo.clinic.procedure.prediction`)
has a second Observation ``derivedFrom`` it: the predicted capture probability
in % (rhizo's own code), the expected coagulated length as a component, the
model's name as ``method`` and the caveat that it is a model estimate.
"""

from __future__ import annotations

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.fhir import codes
from rhizo.clinic.fhir.references import (
    FhirJson,
    annotation,
    date_time,
    day,
    quantity,
    reference,
    resource_id,
    text_concept,
)
from rhizo.clinic.procedure.models import Lesion, Procedure, ProcedureStatus
from rhizo.clinic.procedure.prediction import CAVEAT

#: rhizo's procedure status -> FHIR R4 event-status.
_STATUS = {
    ProcedureStatus.SCHEDULED: "preparation",
    ProcedureStatus.COMPLETED: "completed",
    ProcedureStatus.ABANDONED: "stopped",
    ProcedureStatus.CANCELLED: "not-done",
}


def _concept(code: codes.Code | None, text: str) -> FhirJson:
    return {"coding": [code.coding()], "text": text} if code else {"text": text}


def block_resources(block: DiagnosticBlock, *, patient_id: int) -> list[FhirJson]:
    """The block's ``Procedure`` and the Observations of its result."""
    kind = block.block_type.value.replace("_", " ")
    procedure: FhirJson = {
        "resourceType": "Procedure",
        "id": resource_id("Procedure", f"block-{block.id}"),
        "status": "completed",
        "category": text_concept("diagnostic block"),
        "code": _concept(
            codes.facet_block_cpt(block.levels),
            f"diagnostic {kind} block ({block.agent.value}, {block.volume_ml:g} mL per level)",
        ),
        "subject": reference("Patient", patient_id),
        "performedDateTime": day(block.performed_on),
        "bodySite": [text_concept(f"{level} {block.side.value}") for level in block.levels],
    }
    if note := annotation(block.notes):
        procedure["note"] = note
    part_of = [reference("Procedure", f"block-{block.id}")]

    def observation(suffix: str, code: codes.Code, value: FhirJson) -> FhirJson:
        return {
            "resourceType": "Observation",
            "id": resource_id("Observation", f"block-{block.id}-{suffix}"),
            "status": "final",
            "category": codes.observation_category("survey"),
            "code": {"coding": [code.coding()], "text": code.display},
            "subject": reference("Patient", patient_id),
            "partOf": part_of,
            "effectiveDateTime": day(block.performed_on),
            **value,
        }

    resources = [
        procedure,
        observation(
            "relief",
            codes.BLOCK_RELIEF,
            {"valueQuantity": quantity(block.relief_percent, "%", "%")},
        ),
    ]
    if block.relief_hours is not None:
        resources.append(
            observation(
                "relief-hours",
                codes.BLOCK_RELIEF_HOURS,
                {"valueQuantity": quantity(block.relief_hours, "h", "h")},
            )
        )
    if block.baseline_nrs is not None:
        resources.append(
            observation("baseline-nrs", codes.NRS_PAIN, {"valueInteger": block.baseline_nrs})
        )
    return resources


def _cannulas(procedure: Procedure) -> list[FhirJson]:
    kinds = sorted(
        {
            (lesion.gauge, lesion.tip_length_mm)
            for lesion in procedure.lesions
            if lesion.gauge is not None and lesion.tip_length_mm is not None
        }
    )
    return [text_concept(f"{gauge} G RF cannula, {tip:g} mm active tip") for gauge, tip in kinds]


def procedure_resource(
    procedure: Procedure, *, patient_id: int, condition_ids: list[int]
) -> FhirJson:
    """The RF neurotomy's ``Procedure`` resource."""
    resource: FhirJson = {
        "resourceType": "Procedure",
        "id": resource_id("Procedure", procedure.id),
        "status": _STATUS[procedure.status],
        "code": _concept(
            codes.rf_neurotomy_cpt(procedure.region),
            f"medial branch radiofrequency neurotomy, {procedure.technique.value}, "
            f"{procedure.region.value} ({procedure.sedation.value} sedation)",
        ),
        "subject": reference("Patient", patient_id),
        "performedDateTime": date_time(procedure.performed_at),
        "performer": [{"actor": reference("Practitioner", procedure.performer_id)}],
        "bodySite": [text_concept(f"{level} {procedure.side.value}") for level in procedure.levels],
    }
    if condition_ids:
        resource["reasonReference"] = [reference("Condition", cid) for cid in condition_ids]
    if cannulas := _cannulas(procedure):
        resource["usedCode"] = cannulas
    notes = [
        text
        for text in (
            f"fluoroscopy {procedure.fluoroscopy_time_s:g} s"
            if procedure.fluoroscopy_time_s is not None
            else None,
            f"duration {procedure.duration_min:g} min"
            if procedure.duration_min is not None
            else None,
            procedure.notes,
        )
        if text
    ]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _component(text: str, value: FhirJson) -> FhirJson:
    return {"code": text_concept(text), **value}


def lesion_components(lesion: Lesion) -> list[FhirJson]:
    """The lesion's parameters and test results, each only when recorded."""
    parts: list[FhirJson] = [
        _component("lesion made", {"valueBoolean": lesion.performed}),
        _component("safety gates allowed the lesion", {"valueBoolean": lesion.gate_proceed}),
        _component("local anaesthetic given", {"valueBoolean": lesion.local_anaesthetic_given}),
    ]
    measured = (
        ("set temperature", lesion.set_temperature_c, "°C", "Cel"),
        ("lesion duration", lesion.duration_s, "s", "s"),
        ("active tip length", lesion.tip_length_mm, "mm", "mm"),
        ("sensory stimulation threshold", lesion.sensory_threshold_v, "V", "V"),
        ("motor stimulation test voltage", lesion.motor_test_voltage_v, "V", "V"),
        ("impedance", lesion.impedance_ohm, "Ohm", "Ohm"),
        ("power", lesion.power_w, "W", "W"),
    )
    for text, value, unit, ucum in measured:
        if value is not None:
            parts.append(_component(text, {"valueQuantity": quantity(value, unit, ucum)}))
    if lesion.gauge is not None:
        parts.append(_component("cannula gauge (G)", {"valueInteger": lesion.gauge}))
    described = (
        ("cannula placement", lesion.placement),
        ("sensory response", lesion.sensory_response),
        ("motor response", lesion.motor_response),
    )
    for text, choice in described:
        if choice is not None:
            parts.append(_component(text, {"valueString": choice.value.replace("_", " ")}))
    if lesion.override_reason:
        parts.append(_component("gate override reason", {"valueString": lesion.override_reason}))
    return parts


def lesion_resource(lesion: Lesion, procedure: Procedure, *, patient_id: int) -> FhirJson:
    """One lesion as an ``Observation`` part of its procedure."""
    return {
        "resourceType": "Observation",
        "id": resource_id("Observation", f"lesion-{lesion.id}"),
        "status": "final",
        "category": codes.observation_category("procedure"),
        "code": {"coding": [codes.LESION.coding()], "text": f"RF lesion #{lesion.ordinal}"},
        "subject": reference("Patient", patient_id),
        "partOf": [reference("Procedure", procedure.id)],
        "effectiveDateTime": date_time(procedure.performed_at),
        "bodySite": text_concept(f"{lesion.target_nerve} ({lesion.side.value})"),
        "component": lesion_components(lesion),
    }


def predicted_capture_resource(
    lesion: Lesion, procedure: Procedure, *, patient_id: int
) -> FhirJson | None:
    """The lesion's predicted capture as an ``Observation`` in % (None without one)."""
    probability = lesion.predicted_capture_probability
    if probability is None:
        return None
    resource: FhirJson = {
        "resourceType": "Observation",
        "id": resource_id("Observation", f"lesion-{lesion.id}-predicted-capture"),
        "status": "final",
        "category": codes.observation_category("procedure"),
        "code": {
            "coding": [codes.PREDICTED_CAPTURE.coding()],
            "text": f"predicted capture of RF lesion #{lesion.ordinal}",
        },
        "subject": reference("Patient", patient_id),
        "partOf": [reference("Procedure", procedure.id)],
        "derivedFrom": [reference("Observation", f"lesion-{lesion.id}")],
        "effectiveDateTime": date_time(procedure.performed_at),
        "bodySite": text_concept(f"{lesion.target_nerve} ({lesion.side.value})"),
        "valueQuantity": quantity(round(100.0 * probability, 2), "%", "%"),
        "method": text_concept(f"rhizo capture planner: {lesion.prediction_model}"),
        "note": [{"text": f"{CAVEAT}; an association with relief is not proof"}],
    }
    if lesion.predicted_coagulated_length_mm is not None:
        resource["component"] = [
            {
                "code": {
                    "coding": [codes.PREDICTED_COAGULATED_LENGTH.coding()],
                    "text": "expected coagulated nerve length",
                },
                "valueQuantity": quantity(lesion.predicted_coagulated_length_mm, "mm", "mm"),
            }
        ]
    return resource
