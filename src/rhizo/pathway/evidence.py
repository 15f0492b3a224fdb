"""How many knowledge entries rest on each evidence level, per file.

The unit counted is one *cited fact*: a mapping in a knowledge file that carries
its own ``source``. A mapping whose children carry their own sources is not
counted itself, only its children: a candidacy policy is counted per threshold
(pain duration, conservative care, blocks, repeat, session limit), as the
2026-12 clinical audit counted it (183 facts at the start of that round).
``references.yaml`` holds publications, not facts, and is not counted.

Every counted ``source`` is validated like the loader validates it
(:func:`rhizo.pathway.facts.resolve_source`): exactly ``ref``, ``section`` and
``evidence``, a known reference, a known level; anything else is an error, so
the counts cannot include a fact the loader would refuse.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from rhizo.pathway.facts import (
    EVIDENCE_LABELS,
    VERIFIED_LEVELS,
    Evidence,
    knowledge_files,
    raw_entries,
    resolve_source,
)

#: The levels in the order the tables show them.
LEVELS: tuple[Evidence, ...] = (
    "primary",
    "secondary",
    "patient_information",
    "local_protocol",
    "recalled",
)

#: The knowledge files that hold publications rather than facts.
NOT_COUNTED: frozenset[str] = frozenset({"references"})


class FileCounts(BaseModel):
    """The number of cited facts in one knowledge file at each evidence level."""

    model_config = ConfigDict(frozen=True)

    file: str
    by_level: dict[str, int]

    @property
    def total(self) -> int:
        """All cited facts of the file."""
        return sum(self.by_level.values())

    @property
    def verified(self) -> int:
        """Facts confirmed in a clinical source (primary or secondary)."""
        return sum(n for level, n in self.by_level.items() if level in VERIFIED_LEVELS)


def _has_own_source(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("source"), dict)


def _cited_levels(node: Any, where: str) -> list[Evidence]:
    """The evidence level of each cited fact under ``node`` (see the module docstring)."""
    levels: list[Evidence] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            levels.extend(_cited_levels(item, f"{where}[{index}]"))
        return levels
    if not isinstance(node, dict):
        return levels
    children = {key: value for key, value in node.items() if key != "source"}
    nested = [key for key, value in children.items() if _has_own_source(value)]
    if _has_own_source(node) and not nested:
        try:
            levels.append(resolve_source(node["source"]).evidence)
        except (ValueError, KeyError) as error:
            message = error.args[0] if isinstance(error, KeyError) else str(error)
            raise ValueError(f"{where}.source: {message}") from None
    for key, value in children.items():
        levels.extend(_cited_levels(value, f"{where}.{key}"))
    return levels


def file_counts(name: str) -> FileCounts:
    """The counts of one knowledge file (``name`` without ``.yaml``)."""
    by_level = dict.fromkeys(LEVELS, 0)
    for index, item in enumerate(raw_entries(name)):
        label = item.get("id", index) if isinstance(item, dict) else index
        for level in _cited_levels(item, f"{name}.yaml:{label}"):
            by_level[level] += 1
    return FileCounts(file=name, by_level=by_level)


def counts() -> list[FileCounts]:
    """The counts of every knowledge file that holds facts, in file-name order."""
    return [file_counts(name) for name in knowledge_files() if name not in NOT_COUNTED]


def totals(rows: list[FileCounts]) -> FileCounts:
    """The per-level sums of ``rows`` (file name ``total``)."""
    by_level = {level: sum(row.by_level[level] for row in rows) for level in LEVELS}
    return FileCounts(file="total", by_level=by_level)


def markdown_table(rows: list[FileCounts] | None = None) -> str:
    """The counts as a Markdown table with a total row (what docs/pathway.md shows)."""
    rows = counts() if rows is None else rows
    header = ["file", "facts", *(EVIDENCE_LABELS[level] for level in LEVELS), "verified"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]

    def line(row: FileCounts, bold: bool = False) -> str:
        name = row.file if bold else f"{row.file}.yaml"
        cells = [name, *(str(v) for v in (row.total, *row.by_level.values(), row.verified))]
        if bold:
            cells = [f"**{cell}**" for cell in cells]
        return "| " + " | ".join(cells) + " |"

    lines.extend(line(row) for row in rows)
    lines.append(line(totals(rows), bold=True))
    return "\n".join(lines)


def counts_json(rows: list[FileCounts] | None = None) -> dict[str, Any]:
    """The counts as plain data: per file, the total, and each level's words."""
    rows = counts() if rows is None else rows
    total = totals(rows)
    return {
        "levels": {level: EVIDENCE_LABELS[level] for level in LEVELS},
        "files": [
            {"file": r.file, "facts": r.total, "verified": r.verified, "by_level": r.by_level}
            for r in rows
        ],
        "total": {"facts": total.total, "verified": total.verified, "by_level": total.by_level},
    }


#: The comments around the AFTER table in docs/pathway.md.
DOC_BEGIN = "<!-- evidence-counts:after:begin (rhizo knowledge counts) -->"
DOC_END = "<!-- evidence-counts:after:end -->"


def with_fresh_table(document: str, table: str | None = None) -> str:
    """``document`` with the text between :data:`DOC_BEGIN` and :data:`DOC_END` replaced.

    Raises ``ValueError`` when either marker is missing.
    """
    if DOC_BEGIN not in document or DOC_END not in document:
        raise ValueError(f"the document lacks the markers {DOC_BEGIN!r} and {DOC_END!r}")
    head, rest = document.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    fresh = markdown_table() if table is None else table
    return f"{head}{DOC_BEGIN}\n{fresh}\n{DOC_END}{tail}"
