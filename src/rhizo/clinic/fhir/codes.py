"""Code systems and codes used in the FHIR export, each with where it was read.

Only codes that were read in a source are sent as codings; a concept without
a verified code (the RF neurotomy itself in SNOMED CT, a lesion's parameters)
goes out as text or under rhizo's own code system, never as a guessed code.
Sources, as recorded in the project's research notes (clinical.md section 4):

- LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] -
  Reported": read in several FHIR implementation guides (HL7 Belgium
  patient-monitoring pain-scale ValueSet; PACIO sample data; eCQM value set).
- LOINC 97908-8 Oswestry Disability Index: secondary (PACIO sample-data IG
  Questionnaire.code); not checked at loinc.org, so marked unverified.
- CPT 64633 / 64635 (RF neurolytic destruction, paravertebral facet joint
  nerve, imaging-guided, cervical/thoracic / lumbar/sacral, first joint) and
  64490 / 64493 (facet joint or nerve injection, imaging-guided,
  cervical/thoracic / lumbar/sacral, first level): secondary (public code
  tables). CPT descriptors are AMA copyright: rhizo sends the code with its
  own short label.
- HL7 v3 ActReason HTEST "test health data" (meta.security of synthetic
  patients): the IHE RESTful ATNA implementation guide's example Encounter.
- The FHIR R4 code systems below (condition-clinical, condition-ver-status,
  condition-category, observation-category, adverse-event-severity,
  adverse-event-outcome) and the ICD-10-CM, LOINC, UCUM and CPT system URIs:
  FHIR R4 (4.0.1) terminology pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from rhizo.clinic.core.common import Region

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ADVERSE_EVENT_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
ADVERSE_EVENT_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
#: rhizo's own codes for what no verified standard code names (a URN, resolvable by no one).
RHIZO = "urn:rhizo:code"


@dataclass(frozen=True)
class Code:
    """One coding: system, code, display, and whether the code was read in a source."""

    system: str
    code: str
    display: str
    verified: bool = True

    def coding(self) -> dict[str, str]:
        """FHIR ``Coding`` JSON."""
        return {"system": self.system, "code": self.code, "display": self.display}


NRS_PAIN = Code(LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
ODI = Code(LOINC, "97908-8", "Oswestry Disability Index", verified=False)
PGIC = Code(RHIZO, "pgic", "Patient Global Impression of Change (1-7)")
LESION = Code(RHIZO, "rf-lesion", "Radiofrequency lesion: parameters and stimulation tests")
PREDICTED_CAPTURE = Code(
    RHIZO,
    "rf-lesion-predicted-capture",
    "Predicted probability that an RF lesion coagulated its nerve (model estimate)",
)
PREDICTED_COAGULATED_LENGTH = Code(
    RHIZO,
    "rf-lesion-predicted-coagulated-length",
    "Expected length of nerve wholly coagulated by an RF lesion (model estimate)",
)
BLOCK_RELIEF = Code(RHIZO, "block-relief-percent", "Pain relief after a diagnostic block")
BLOCK_RELIEF_HOURS = Code(RHIZO, "block-relief-hours", "Duration of relief after a block")
SYNTHETIC = Code(ACT_REASON, "HTEST", "test health data")

_RF_CPT = {
    Region.CERVICAL: Code(CPT, "64633", "RF facet nerve destruction, cervical/thoracic, first"),
    Region.THORACIC: Code(CPT, "64633", "RF facet nerve destruction, cervical/thoracic, first"),
    Region.LUMBAR: Code(CPT, "64635", "RF facet nerve destruction, lumbar/sacral, first"),
    Region.SACRAL: Code(CPT, "64635", "RF facet nerve destruction, lumbar/sacral, first"),
}
_BLOCK_CPT = {
    "C": Code(CPT, "64490", "Facet joint/nerve injection, cervical/thoracic, first level"),
    "T": Code(CPT, "64490", "Facet joint/nerve injection, cervical/thoracic, first level"),
    "L": Code(CPT, "64493", "Facet joint/nerve injection, lumbar/sacral, first level"),
    "S": Code(CPT, "64493", "Facet joint/nerve injection, lumbar/sacral, first level"),
}


def observation_category(code: str) -> list[dict[str, list[dict[str, str]]]]:
    """``Observation.category`` of one observation-category code (survey, procedure)."""
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


def rf_neurotomy_cpt(region: Region) -> Code:
    """The CPT code of the first joint treated by RF in a region (64633 or 64635)."""
    return _RF_CPT[region]


def facet_block_cpt(levels: list[str]) -> Code | None:
    """The CPT code of the first facet level injected, from the level names ("L4-L5")."""
    regions = {level[:1].upper() for level in levels if level}
    codes = {_BLOCK_CPT[r] for r in regions if r in _BLOCK_CPT}
    # Levels spanning two coding regions have two first-level codes; send none rather than pick.
    return codes.pop() if len(codes) == 1 else None
