"""The data dictionary of the research export, read from the row models.

Every column of every table (:data:`rhizo.clinic.research.models.TABLES`):
its name, type, unit, meaning and source, as the research page shows it and as
docs/research-export.md prints it (:func:`markdown`; a test holds the file to
it). The types are the columns' Python annotations in words.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from rhizo.clinic.research.models import TABLES

_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number", str: "string"}


@dataclass(frozen=True)
class DictionaryColumn:
    """One column of one table."""

    table: str
    name: str
    type: str
    nullable: bool
    unit: str | None
    meaning: str
    source: str

    @property
    def type_label(self) -> str:
        """``integer``, or ``integer or empty`` when the column may be empty."""
        return f"{self.type} or empty" if self.nullable else self.type


def base_type(annotation: Any) -> tuple[type, bool]:
    """``(int, True)`` for ``int | None``; ``(int, False)`` for ``int``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"a column holds one type, not {annotation!r}")
        return args[0], True
    return annotation, False


def columns_of(table: str, model: type[BaseModel]) -> list[DictionaryColumn]:
    """The dictionary rows of one table, in column order."""
    rows = []
    for name, field in model.model_fields.items():
        python, nullable = base_type(field.annotation)
        extra = field.json_schema_extra
        if not isinstance(extra, dict) or "source" not in extra or not field.description:
            raise TypeError(f"{table}.{name} is not described (use research.models.column)")
        unit = extra.get("unit")
        rows.append(
            DictionaryColumn(
                table=table,
                name=name,
                type=_TYPES[python],
                nullable=nullable,
                unit=None if unit is None else str(unit),
                meaning=field.description,
                source=str(extra["source"]),
            )
        )
    return rows


def dictionary() -> list[DictionaryColumn]:
    """Every column of every table, tables in file order."""
    return [column for table, model in TABLES.items() for column in columns_of(table, model)]


def table_meanings() -> dict[str, str]:
    """Table name -> the row model's first docstring line."""
    return {table: (model.__doc__ or "").strip().splitlines()[0] for table, model in TABLES.items()}


def _cell(text: str | None) -> str:
    return "" if text is None else text.replace("|", "\\|")


def markdown() -> str:
    """The dictionary as Markdown tables, one per table (docs/research-export.md's body)."""
    lines: list[str] = []
    meanings = table_meanings()
    for table in TABLES:
        lines += [f"### `{table}`", "", meanings[table], ""]
        lines += ["| Column | Type | Unit | Meaning | Source |", "|---|---|---|---|---|"]
        for column in dictionary():
            if column.table == table:
                lines.append(
                    f"| `{column.name}` | {column.type_label} | {_cell(column.unit)} | "
                    f"{_cell(column.meaning)} | {_cell(column.source)} |"
                )
        lines.append("")
    return "\n".join(lines)
