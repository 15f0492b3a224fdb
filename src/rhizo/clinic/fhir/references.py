"""Resource ids, bundle-local ``urn:uuid`` addresses, references and date-times.

Every resource in an exported Bundle gets ``fullUrl = urn:uuid:<uuid5>`` from
its type and registry id, and references point at those addresses: the same
row always has the same address, so two exports of one record can be compared
entry by entry, and a receiving server assigns its own ids.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

#: Fixed namespace of rhizo's bundle addresses (uuid5 of the project's name).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:rhizo:fhir")

FhirJson = dict[str, Any]


def resource_id(resource_type: str, row_id: int | str) -> str:
    """The resource's ``id`` (``[A-Za-z0-9-.]{1,64}``): ``procedure-12``."""
    return f"{resource_type.lower()}-{row_id}"


def _address(resource_type: str, id_text: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{resource_type}/{id_text}')}"


def full_url(resource_type: str, row_id: int | str) -> str:
    """The entry's ``fullUrl``: a ``urn:uuid`` stable for this type and id."""
    return _address(resource_type, resource_id(resource_type, row_id))


def reference(resource_type: str, row_id: int | str, display: str | None = None) -> FhirJson:
    """A ``Reference`` to another entry of the same Bundle."""
    ref: FhirJson = {"reference": full_url(resource_type, row_id)}
    if display:
        ref["display"] = display
    return ref


def entry(resource: FhirJson) -> FhirJson:
    """A Bundle entry, its ``fullUrl`` derived from the resource's type and id."""
    return {"fullUrl": _address(resource["resourceType"], resource["id"]), "resource": resource}


def date_time(moment: datetime) -> str:
    """A FHIR ``dateTime`` with seconds and a zone (stored times are UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def day(value: date) -> str:
    """A FHIR ``date`` (also a valid ``dateTime``)."""
    return value.isoformat()


def text_concept(text: str) -> FhirJson:
    """A ``CodeableConcept`` with text only (no verified code exists)."""
    return {"text": text}


def quantity(value: float, unit: str, ucum: str) -> FhirJson:
    """A UCUM ``Quantity``."""
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": ucum}


def annotation(notes: str | None) -> list[FhirJson]:
    """``note`` from free-text notes (none when empty)."""
    return [{"text": notes}] if notes else []
