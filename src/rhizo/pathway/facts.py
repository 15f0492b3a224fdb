"""The knowledge loader: cited facts read from the package's own data files.

Every clinical number rhizo shows lives in ``pathway/knowledge/*.yaml``. Each
file holds a list of ``entries``; each entry has an ``id`` and a ``source``
naming a reference (author, year, title), the table or section the fact was
read in, and its evidence level, which says what was actually read:

``primary``
    the primary text itself was read (the guideline's table, the study's paper);
``secondary``
    a reputable summary of it was read (UpToDate, a society news item, a
    journal-club abstract), not the primary text;
``patient_information``
    only a lay patient-information page says it (a clinic or hospital page);
``local_protocol``
    one clinic's own practice, which no guideline sets; a clinic may edit it;
``recalled``
    from memory, not verified in any source read.

A fact is *verified* (confirmed in a clinical source) only at the first two
levels; rhizo shows the level beside every fact rather than presenting a lay
page, a local habit or a recollection as established. Keeping the facts in
data, not code, lets a clinic audit or replace them without touching logic.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Evidence = Literal["primary", "secondary", "patient_information", "local_protocol", "recalled"]

#: The levels in the order the docs count them, each with the words shown beside a fact.
EVIDENCE_LABELS: dict[str, str] = {
    "primary": "primary text read",
    "secondary": "secondary source",
    "patient_information": "patient-information page only",
    "local_protocol": "local protocol",
    "recalled": "recalled, NOT verified in a source",
}

#: The levels that count as confirmed in a clinical source.
VERIFIED_LEVELS = frozenset({"primary", "secondary"})

KNOWLEDGE_PACKAGE = "rhizo.pathway"
KNOWLEDGE_FOLDER = "knowledge"


class Reference(BaseModel):
    """A publication (or web page) that facts are read from.

    ``venue`` says where it appeared and, for a summary, which summary was read.
    ``pmcid``, ``pmid`` and ``url`` are optional identifiers; ``url`` is the page
    on which the title, venue and year were checked (``None``: not checked).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    author: str
    year: int
    title: str
    venue: str
    pmcid: str | None = Field(default=None, pattern=r"^PMC[0-9]+$")
    pmid: str | None = Field(default=None, pattern=r"^[0-9]+$")
    url: str | None = Field(default=None, pattern=r"^https?://")


class Source(BaseModel):
    """Where one fact comes from: the reference, the table or section, how it was read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    author: str
    year: int
    title: str
    section: str
    evidence: Evidence

    @property
    def verified(self) -> bool:
        """Whether the fact was confirmed in a clinical source (primary or secondary)."""
        return self.evidence in VERIFIED_LEVELS

    @property
    def evidence_label(self) -> str:
        """The evidence level in words, as shown beside the fact."""
        return EVIDENCE_LABELS[self.evidence]

    def cite(self) -> str:
        """One line: ``Author Year, Title, Section [level]``, the level in words.

        Every level is appended, ``primary`` too (:func:`level_suffix`), so wherever a
        citation is shown (CLI, API, pages, patient text) it says what was read.
        """
        return f"{self.author} {self.year}, {self.title}, {self.section}" + level_suffix(
            self.evidence
        )


def level_suffix(evidence: Evidence) -> str:
    """What :meth:`Source.cite` appends for a level: `` [words]`` (EVIDENCE_LABELS)."""
    return f" [{EVIDENCE_LABELS[evidence]}]"


def _read_yaml(name: str) -> dict[str, Any]:
    path = resources.files(KNOWLEDGE_PACKAGE) / KNOWLEDGE_FOLDER / f"{name}.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or not isinstance(loaded.get("entries"), list):
        raise ValueError(f"knowledge file {name}.yaml must hold a list named 'entries'")
    return loaded


def knowledge_files() -> list[str]:
    """The names (without ``.yaml``) of all knowledge files shipped with rhizo."""
    folder = resources.files(KNOWLEDGE_PACKAGE) / KNOWLEDGE_FOLDER
    return sorted(
        item.name.removesuffix(".yaml") for item in folder.iterdir() if item.name.endswith(".yaml")
    )


@cache
def references() -> dict[str, Reference]:
    """All references, by id (``knowledge/references.yaml``)."""
    raw = _read_yaml("references")["entries"]
    return {entry["id"]: Reference.model_validate(entry) for entry in raw}


class SourceRef(BaseModel):
    """An entry's ``source`` mapping as written in YAML: exactly these three keys.

    Any other key (the retired ``verified:`` flag, a typo) is refused, so a file
    cannot carry a second, contradicting claim about what was read.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str
    section: str
    evidence: Evidence


def resolve_source(raw: dict[str, Any]) -> Source:
    """Turn an entry's ``source`` mapping (``ref``, ``section``, ``evidence``) into a Source.

    Raises ``ValueError`` (pydantic's ``ValidationError``) for a missing or extra
    key or an unknown level, and ``KeyError`` for an unknown reference id.
    """
    written = SourceRef.model_validate(raw)
    known = references()
    if written.ref not in known:
        raise KeyError(f"unknown reference {written.ref!r} (see knowledge/references.yaml)")
    reference = known[written.ref]
    return Source(
        author=reference.author,
        year=reference.year,
        title=reference.title,
        section=written.section,
        evidence=written.evidence,
    )


def raw_entries(name: str) -> list[dict[str, Any]]:
    """The entries of one knowledge file exactly as written (sources not resolved)."""
    entries_list: list[dict[str, Any]] = _read_yaml(name)["entries"]
    return entries_list


@cache
def entries(name: str) -> tuple[dict[str, Any], ...]:
    """The raw entries of one knowledge file (not ``references``), source resolved.

    Each returned mapping has its ``source`` replaced by a :class:`Source`.
    """
    resolved = []
    for entry in _read_yaml(name)["entries"]:
        item = dict(entry)
        item["source"] = resolve_source(entry["source"])
        resolved.append(item)
    return tuple(resolved)


def entry(name: str, entry_id: str) -> dict[str, Any]:
    """One entry of a knowledge file, by id."""
    for item in entries(name):
        if item["id"] == entry_id:
            return item
    raise KeyError(f"{name}.yaml has no entry {entry_id!r}")
