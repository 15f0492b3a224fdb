"""The sweep directory: one spec per directory, atomic chunks written once, equal bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pq = pytest.importorskip("pyarrow.parquet")

from rhizo.sweep.spec import SweepSpec, parse_spec  # noqa: E402
from rhizo.sweep.store import SweepStore, SweepStoreError  # noqa: E402


def _spec(samples: int = 10, **changes: object) -> SweepSpec:
    data = {
        "name": "store-test",
        "inputs": {
            "set_temperature_c": {"dist": "uniform", "low": 60.0, "high": 85.0},
            "duration_s": {"dist": "uniform", "low": 10.0, "high": 60.0},
        },
        "outputs": ["width_mm"],
        "samples": samples,
        "chunk_size": 4,
        **changes,
    }
    return parse_spec(data)


def _columns(rows: slice) -> dict[str, np.ndarray]:
    sample = np.arange(rows.start, rows.stop, dtype=np.int64)
    return {
        "sample": sample,
        "set_temperature_c": 60.0 + sample * 0.5,
        "width_mm": np.sqrt(sample + 1.0),
        "warnings": np.array(["" if s % 3 else "boiling" for s in sample], dtype=object),
    }


def _store(tmp_path: Path, *, overwrite: bool = False) -> SweepStore:
    return SweepStore(tmp_path / "run", _spec(), overwrite=overwrite)


def test_chunks_split_the_rows(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.chunk_count == 3  # 10 rows in chunks of 4: 4 + 4 + 2
    assert [store.chunk_rows(i) for i in range(3)] == [slice(0, 4), slice(4, 8), slice(8, 10)]
    with pytest.raises(IndexError, match="chunk 3: allowed 0 to 2"):
        store.chunk_rows(3)
    document = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert document["digest"] == _spec().digest()
    assert document["input_order"] == ["set_temperature_c", "duration_s"]
    assert parse_spec(document["spec"]) == _spec()
    assert list(document["spec"]["inputs"]) == ["set_temperature_c", "duration_s"]


def test_another_spec_is_refused_unless_overwrite(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write_chunk(0, _columns(store.chunk_rows(0)))
    other = _spec(samples=12)
    with pytest.raises(SweepStoreError, match=r"digest .* --overwrite") as caught:
        SweepStore(tmp_path / "run", other)
    assert _spec().digest()[:12] in str(caught.value)
    assert other.digest()[:12] in str(caught.value)
    fresh = SweepStore(tmp_path / "run", other, overwrite=True)
    assert fresh.done_chunks() == set()
    assert json.loads(fresh.spec_path.read_text())["digest"] == other.digest()
    # the same spec again keeps its chunks (that is what resume needs)
    fresh.write_chunk(1, _columns(fresh.chunk_rows(1)))
    again = SweepStore(tmp_path / "run", other)
    assert again.done_chunks() == {1}


def test_the_inputs_order_is_part_of_the_identity(tmp_path: Path) -> None:
    # the same inputs in another order: the same digest (sorted keys) but other rows
    spec = _spec()
    swapped = _spec(inputs=dict(reversed(list(spec.model_dump()["inputs"].items()))))
    assert swapped.input_names() == ("duration_s", "set_temperature_c")
    SweepStore(tmp_path / "run", spec)
    expected = (
        "inputs in the order set_temperature_c, duration_s"
        if swapped.digest() == spec.digest()
        else "was started with spec digest"
    )
    with pytest.raises(SweepStoreError, match=expected):
        SweepStore(tmp_path / "run", swapped)


def test_a_chunk_is_never_written_twice(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = store.write_chunk(1, _columns(store.chunk_rows(1)))
    assert path.name == "chunk-000001.parquet"
    before = path.read_bytes()
    with pytest.raises(SweepStoreError, match=r"chunk 1: .* already exists; a chunk is never"):
        store.write_chunk(1, _columns(store.chunk_rows(1)))
    assert path.read_bytes() == before
    assert sorted(p.name for p in store.chunks_dir.iterdir()) == ["chunk-000001.parquet"]


def test_wrong_rows_are_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(SweepStoreError, match="column 'sample' has 4 rows, the chunk has 2"):
        store.write_chunk(2, _columns(slice(0, 4)))
    shifted = _columns(slice(0, 4))
    with pytest.raises(SweepStoreError, match=r"column 'sample' is not 4\.\.7"):
        store.write_chunk(1, shifted)


def test_truncated_and_temporary_files_are_not_done(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for index in range(store.chunk_count):
        store.write_chunk(index, _columns(store.chunk_rows(index)))
    # temp files of a killed writer and of a live one, and a chunk whose tail was lost
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = store.chunks_dir / f".chunk-000000.{gone.stdout.strip()}.tmp"
    orphan.write_bytes(b"partial")
    live = store.chunks_dir / f".chunk-000001.{os.getppid()}.tmp"
    live.write_bytes(b"partial")
    whole = store.chunk_path(1).read_bytes()
    store.chunk_path(1).write_bytes(whole[: len(whole) // 2])
    assert store.done_chunks() == {0, 2}
    assert not store.chunk_path(1).exists()
    assert not orphan.exists()
    assert live.exists()
    assert len(store.notes) == 1
    assert "chunk-000001.parquet: unreadable" in store.notes[0]
    with pytest.raises(SweepStoreError, match="chunks 1 of 3 are not done"):
        store.consolidate()
    store.write_chunk(1, _columns(store.chunk_rows(1)))
    assert store.done_chunks() == {0, 1, 2}


def test_a_chunk_with_the_wrong_row_count_is_not_done(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write_chunk(0, _columns(store.chunk_rows(0)))
    # chunk 2 holds 2 rows; a 4-row file under its name is not that chunk
    pq.write_table(pq.read_table(store.chunk_path(0)), store.chunk_path(2))
    assert store.done_chunks() == {0}
    assert "4 rows, the chunk has 2" in store.notes[0]


def test_equal_columns_give_equal_bytes_and_results_are_sorted(tmp_path: Path) -> None:
    first = SweepStore(tmp_path / "a", _spec())
    second = SweepStore(tmp_path / "b", _spec())
    for index in (2, 0, 1):  # finish order does not matter
        first.write_chunk(index, _columns(first.chunk_rows(index)))
    for index in (0, 1, 2):
        second.write_chunk(index, _columns(second.chunk_rows(index)))
    for index in range(3):
        assert first.chunk_path(index).read_bytes() == second.chunk_path(index).read_bytes()
    assert first.consolidate().read_bytes() == second.consolidate().read_bytes()
    table = pq.read_table(first.results_path)
    assert table.schema.metadata is None  # no pandas metadata
    assert table.column_names == ["sample", "set_temperature_c", "width_mm", "warnings"]
    np.testing.assert_array_equal(table.column("sample").to_numpy(), np.arange(10))
    np.testing.assert_array_equal(table.column("width_mm").to_numpy(), np.sqrt(np.arange(10) + 1))
    assert table.column("warnings").to_pylist()[:4] == ["boiling", "", "", "boiling"]
    # consolidating again gives the same bytes (atomic replace, no append)
    before = first.results_path.read_bytes()
    assert first.consolidate().read_bytes() == before
