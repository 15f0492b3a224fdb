"""The export as files: a zip of one CSV per table, or a zip of one Parquet file per table.

Both are made from the same :class:`~rhizo.clinic.research.models.DeidCase`
objects as the API's JSON (:func:`table_rows`), and both zips hold the data
dictionary as ``data_dictionary.csv``. CSV: UTF-8, a header row, ``,``
separated, an empty cell for an empty value, ``true``/``false`` for booleans,
numbers as Python writes them (shortest round-trip). Parquet: one file per
table with the column types of the dictionary (int64, double, string, bool;
nullable where the dictionary says so) and each column's meaning and unit in
its field metadata.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rhizo.clinic.research.dictionary import DictionaryColumn, dictionary
from rhizo.clinic.research.models import TABLES, DeidCase

#: Column type in the dictionary -> Arrow type.
ARROW_TYPES = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
}
DICTIONARY_FILE = "data_dictionary.csv"
_PATIENT_COLUMNS = list(TABLES["patients"].model_fields)


def table_rows(cases: Iterable[DeidCase]) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows (column name -> value), tables in file order."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for case in cases:
        data = case.model_dump()
        tables["patients"].append({name: data[name] for name in _PATIENT_COLUMNS})
        for name in TABLES:
            if name != "patients":
                tables[name].extend(data[name])
    return tables


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _csv_text(header: list[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(row[name]) for name in header])
    return out.getvalue()


def dictionary_csv() -> str:
    """The data dictionary as CSV (table, column, type, nullable, unit, meaning, source)."""
    return _csv_text(
        ["table", "column", "type", "nullable", "unit", "meaning", "source"],
        (
            {
                "table": c.table,
                "column": c.name,
                "type": c.type,
                "nullable": c.nullable,
                "unit": c.unit,
                "meaning": c.meaning,
                "source": c.source,
            }
            for c in dictionary()
        ),
    )


def _columns(table: str) -> list[DictionaryColumn]:
    return [c for c in dictionary() if c.table == table]


def csv_zip(cases: Iterable[DeidCase]) -> bytes:
    """``<table>.csv`` for every table and ``data_dictionary.csv``, zipped (deflate)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, rows in table_rows(cases).items():
            header = [c.name for c in _columns(table)]
            archive.writestr(f"{table}.csv", _csv_text(header, rows))
        archive.writestr(DICTIONARY_FILE, dictionary_csv())
    return buffer.getvalue()


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table: the dictionary's types, meanings and units."""
    return pa.schema(
        [
            pa.field(
                c.name,
                ARROW_TYPES[c.type],
                nullable=c.nullable,
                metadata={"meaning": c.meaning, "unit": c.unit or "", "source": c.source},
            )
            for c in _columns(table)
        ]
    )


def parquet_zip(cases: Iterable[DeidCase]) -> bytes:
    """``<table>.parquet`` for every table and ``data_dictionary.csv``, zipped (stored:
    Parquet pages are already compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for table, rows in table_rows(cases).items():
            schema = arrow_schema(table)
            data = pa.Table.from_pylist(rows, schema=schema)
            out = io.BytesIO()
            pq.write_table(data, out)
            archive.writestr(f"{table}.parquet", out.getvalue())
        archive.writestr(DICTIONARY_FILE, dictionary_csv())
    return buffer.getvalue()
