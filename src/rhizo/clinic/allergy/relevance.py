"""What a patient's recorded allergies mean for an RF procedure: one reading for everyone.

* **Current** allergies are those not marked entered in error
  (:func:`current`): the only ones that count anywhere.
* **Candidacy** (:func:`candidacy_flags`): the pathway's screening takes
  ``allergy_local_anaesthetic`` and ``allergy_contrast``
  (:class:`rhizo.pathway.candidacy.CandidacyInput`); they are true when a
  current allergy of that category is recorded, whatever its severity (a
  recorded reaction is worked up before the procedure, not weighed here).
* **Procedure warning** (:func:`procedure_warnings`): the four categories the
  procedure itself uses (local anaesthetic at the skin and on the nerve,
  contrast to confirm the needle, latex in gloves and equipment, antiseptic
  skin preparation), each with what to check and its source. The local
  anaesthetic and contrast advice is the screening's own entry
  (``pathway/knowledge/screening.yaml``, with its evidence level); latex and
  antiseptic have no guideline row in rhizo's knowledge, so their line only asks
  to avoid the recorded substance and says it is local protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rhizo.clinic.allergy.models import CATEGORY_LABEL, Allergy, AllergyCategory
from rhizo.pathway.facts import EVIDENCE_LABELS, Evidence, Source, entry, level_suffix

#: The categories the procedure uses, in the order the warning lists them.
PROCEDURE_CATEGORIES: tuple[AllergyCategory, ...] = (
    AllergyCategory.LOCAL_ANAESTHETIC,
    AllergyCategory.CONTRAST,
    AllergyCategory.LATEX,
    AllergyCategory.ANTISEPTIC,
)

#: Category -> the screening entry whose message is the advice (pathway knowledge).
_SCREENING_RULE: dict[AllergyCategory, str] = {
    AllergyCategory.LOCAL_ANAESTHETIC: "allergy-local-anaesthetic",
    AllergyCategory.CONTRAST: "allergy-contrast",
}

#: Advice with no guideline row behind it (the clinic's own practice: edit here).
_LOCAL_ADVICE: dict[AllergyCategory, str] = {
    AllergyCategory.LATEX: "Use latex-free gloves, drapes and equipment for this patient.",
    AllergyCategory.ANTISEPTIC: (
        "Use a skin preparation without the recorded antiseptic "
        "(chlorhexidine or povidone-iodine are the usual two)."
    ),
}
_LOCAL_SOURCE = (
    "rhizo authors, local protocol: avoid the recorded substance; no guideline row was read"
)


@dataclass(frozen=True)
class AllergyFlags:
    """The screening's two allergy inputs."""

    local_anaesthetic: bool
    contrast: bool


@dataclass(frozen=True)
class AllergyWarning:
    """One procedure-relevant category with the patient's allergies in it."""

    category: AllergyCategory
    label: str
    #: Each recorded allergy in words: substance, reaction, severity, date.
    items: tuple[str, ...]
    advice: str
    #: The advice's citation, its evidence level in words at the end (Source.cite).
    source: str
    evidence: Evidence

    @property
    def evidence_label(self) -> str:
        """The evidence level in words (as beside every fact)."""
        return EVIDENCE_LABELS[self.evidence]


def current(allergies: Iterable[Allergy]) -> list[Allergy]:
    """The allergies that count: not entered in error, in the order given."""
    return [a for a in allergies if not a.entered_in_error]


def candidacy_flags(allergies: Iterable[Allergy]) -> AllergyFlags:
    """The screening's allergy inputs from the recorded allergies (current ones only)."""
    categories = {a.category for a in current(allergies)}
    return AllergyFlags(
        local_anaesthetic=AllergyCategory.LOCAL_ANAESTHETIC in categories,
        contrast=AllergyCategory.CONTRAST in categories,
    )


def describe(allergy: Allergy) -> str:
    """``"lidocaine: hives (moderate), recorded 2025-03-01"`` (the category when no
    substance is named)."""
    what = allergy.substance or CATEGORY_LABEL[allergy.category]
    reaction = f": {allergy.reaction}" if allergy.reaction else ""
    return (
        f"{what}{reaction} ({allergy.severity.value}), recorded {allergy.recorded_on.isoformat()}"
    )


def _advice(category: AllergyCategory) -> tuple[str, str, Evidence]:
    rule = _SCREENING_RULE.get(category)
    if rule is None:
        return (
            _LOCAL_ADVICE[category],
            _LOCAL_SOURCE + level_suffix("local_protocol"),
            "local_protocol",
        )
    item = entry("screening", rule)
    source: Source = item["source"]
    return str(item["message"]), source.cite(), source.evidence


def procedure_warnings(allergies: Iterable[Allergy]) -> list[AllergyWarning]:
    """One warning per procedure category with a current allergy, in
    :data:`PROCEDURE_CATEGORIES` order (empty: nothing the procedure uses is recorded)."""
    mine = current(allergies)
    warnings: list[AllergyWarning] = []
    for category in PROCEDURE_CATEGORIES:
        found = [a for a in mine if a.category is category]
        if not found:
            continue
        advice, source, evidence = _advice(category)
        warnings.append(
            AllergyWarning(
                category=category,
                label=CATEGORY_LABEL[category],
                items=tuple(describe(a) for a in found),
                advice=advice,
                source=source,
                evidence=evidence,
            )
        )
    return warnings
