"""The sweep directory: the spec it was started with, one Parquet file per chunk, the results.

Layout of a sweep directory::

    spec.json                  {"digest": <sha256>, "input_order": [...], "rhizo": <version>,
                                "spec": <the spec, its inputs in their order>}
    chunks/chunk-000042.parquet   rows spec.chunk_size * 42 ... (one file per chunk)
    results.parquet            every chunk, sorted by sample (written by consolidate)

Resume rests on three rules:

* **One spec per directory.** ``spec.json`` records the spec's digest
  (:meth:`rhizo.sweep.spec.SweepSpec.digest`) and its inputs' order (the columns of
  the sample table, which the digest's sorted keys do not see); a directory started
  with another digest or order is refused (``overwrite=True`` removes its chunks and
  results and starts again), so chunks of two different sweeps never mix.
* **A chunk file exists only complete.** It is written to a temporary name
  (``chunks/.chunk-000042.<pid>.tmp``), flushed to disk (fsync) and then
  hard-linked to its final name: ``os.link`` refuses an existing name, so a chunk is
  never written twice (a second writer gets :class:`SweepStoreError`). A file that
  cannot be read back, or holds the wrong number of rows (a disk that lost the
  tail), is deleted with a note and its chunk counted as not done.
* **Deterministic bytes.** Columns are written by pyarrow from NumPy arrays (no
  pandas metadata), with fixed writer options, so identical columns give
  byte-identical files; ``results.parquet`` concatenates the chunks in sample order,
  so a resumed sweep's results equal an uninterrupted one's byte for byte.

pyarrow comes with the ``dist`` extra and is imported inside the functions that
use it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rhizo import __version__

if TYPE_CHECKING:
    from rhizo.sweep.spec import SweepSpec

__all__ = ["CHUNK_PATTERN", "SweepStore", "SweepStoreError"]

LOG = logging.getLogger(__name__)

#: Final name of chunk ``index`` inside ``chunks/``.
CHUNK_PATTERN = "chunk-{index:06d}.parquet"
#: Parquet writer options: fixed so that equal columns give equal bytes.
_WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "row_group_size": 1 << 20,
}


class SweepStoreError(RuntimeError):
    """A sweep directory that cannot be used as asked (one line for the CLI)."""


def _fsync_directory(directory: Path) -> None:
    """Make a new name in ``directory`` durable (POSIX: the directory's entry is data too)."""
    with contextlib.suppress(OSError):  # some file systems cannot open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _table(columns: dict[str, np.ndarray]) -> Any:
    """A pyarrow table from NumPy columns, in the dict's order (str columns as strings)."""
    import pyarrow as pa

    arrays = []
    for name, values in columns.items():
        array = np.asarray(values)
        if array.ndim != 1:
            raise SweepStoreError(f"column {name!r}: shape {array.shape}; a column is 1-D")
        if array.dtype.kind in "USO":
            arrays.append(pa.array([str(v) for v in array.tolist()], type=pa.string()))
        else:
            arrays.append(pa.array(array))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _write_parquet(table: Any, path: Path) -> None:
    """Write ``table`` to ``path`` (a new file), flushed to disk before returning."""
    import pyarrow.parquet as pq

    with open(path, "xb") as handle:
        pq.write_table(table, handle, **_WRITE_OPTIONS)
        handle.flush()
        os.fsync(handle.fileno())


class SweepStore:
    """The directory of one sweep: ``spec.json``, ``chunks/*.parquet``, ``results.parquet``.

    Creating the store makes the directory and writes ``spec.json`` atomically (or
    checks the one there: another digest raises :class:`SweepStoreError` naming both
    and ``--overwrite``). ``overwrite=True`` removes the chunks and results only.
    """

    def __init__(self, directory: Path, spec: SweepSpec, *, overwrite: bool = False) -> None:
        self.directory = Path(directory)
        self.spec = spec
        self.chunks_dir = self.directory / "chunks"
        self.results_path = self.directory / "results.parquet"
        self.spec_path = self.directory / "spec.json"
        self.lesion_count = spec.lesion_count()
        self.chunk_size = spec.chunk_size
        self.chunk_count = -(-self.lesion_count // self.chunk_size)
        #: What :meth:`done_chunks` found wrong and removed (also logged).
        self.notes: list[str] = []
        if self.directory.exists() and not self.directory.is_dir():
            raise SweepStoreError(f"{self.directory}: exists and is not a directory")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SweepStoreError(f"{self.directory}: cannot create it ({error})") from error
        digest = spec.digest()
        order = list(spec.input_names())
        recorded = self._recorded()
        if recorded is not None and not overwrite:
            if recorded[0] != digest:
                raise SweepStoreError(
                    f"{self.directory}: was started with spec digest {recorded[0][:12]}, this "
                    f"spec's is {digest[:12]}; use another directory or --overwrite to start "
                    "again"
                )
            if recorded[1] != order:
                raise SweepStoreError(
                    f"{self.directory}: was started with the inputs in the order "
                    f"{', '.join(recorded[1])}, this spec has {', '.join(order)} (the order "
                    "of the sample columns); use another directory or --overwrite"
                )
        if overwrite:
            shutil.rmtree(self.chunks_dir, ignore_errors=True)
            self.results_path.unlink(missing_ok=True)
        if recorded is None or overwrite:
            self._write_spec(digest, order)
        self.chunks_dir.mkdir(exist_ok=True)

    def _recorded(self) -> tuple[str, list[str]] | None:
        """(digest, input order) from an existing ``spec.json``; None when there is none."""
        if not self.spec_path.exists():
            return None
        try:
            document = json.loads(self.spec_path.read_text(encoding="utf-8"))
            digest, order = document["digest"], document["input_order"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SweepStoreError(
                f"{self.spec_path}: unreadable ({error}); use --overwrite to start again"
            ) from error
        if not isinstance(digest, str) or not isinstance(order, list):
            raise SweepStoreError(f"{self.spec_path}: not a sweep's spec.json; use --overwrite")
        return digest, [str(name) for name in order]

    def _write_spec(self, digest: str, order: list[str]) -> None:
        # The spec in its own key order (model_dump_json): the inputs' order is the order
        # of the sample columns, which canonical_json's sorted keys do not keep; the
        # digest alone cannot tell two orders apart, so the order is recorded beside it.
        document = {
            "digest": digest,
            "input_order": order,
            "rhizo": __version__,
            "spec": json.loads(self.spec.model_dump_json()),
        }
        temporary = self.directory / f".spec.json.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, self.spec_path)
        _fsync_directory(self.directory)

    def chunk_rows(self, index: int) -> slice:
        """The sample rows of chunk ``index`` (``IndexError`` outside 0..chunk_count-1)."""
        if not 0 <= index < self.chunk_count:
            raise IndexError(f"chunk {index}: allowed 0 to {self.chunk_count - 1}")
        start = index * self.chunk_size
        return slice(start, min(start + self.chunk_size, self.lesion_count))

    def chunk_path(self, index: int) -> Path:
        """The final file of chunk ``index``."""
        return self.chunks_dir / CHUNK_PATTERN.format(index=index)

    def done_chunks(self) -> set[int]:
        """Indices of the complete chunk files (readable, with the chunk's row count).

        Temporary files are ignored (those of a writer process that is gone are deleted);
        a chunk file that cannot be read or has the wrong number of rows (truncated) is
        deleted with a note (:attr:`notes`, logged).
        """
        import pyarrow.parquet as pq

        self._remove_orphans()
        done: set[int] = set()
        for index in range(self.chunk_count):
            path = self.chunk_path(index)
            if not path.exists():
                continue
            rows = self.chunk_rows(index)
            expected = rows.stop - rows.start
            try:
                found = pq.ParquetFile(path).metadata.num_rows
            except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
                self._discard(path, f"unreadable ({error})")
                continue
            if found != expected:
                self._discard(path, f"{found} rows, the chunk has {expected}")
                continue
            done.add(index)
        return done

    def _remove_orphans(self) -> None:
        """Delete temporary chunk files whose writer process is gone (a killed run's)."""
        for path in self.chunks_dir.glob(".chunk-*.tmp"):
            pid_text = path.name.rsplit(".", 2)[-2]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                path.unlink(missing_ok=True)
            except (PermissionError, OverflowError):  # alive (another user's) or not a pid
                continue

    def _discard(self, path: Path, why: str) -> None:
        note = f"{path.name}: {why}; removed, the chunk runs again"
        LOG.warning(note)
        self.notes.append(note)
        path.unlink(missing_ok=True)

    def write_chunk(self, index: int, columns: dict[str, np.ndarray]) -> Path:
        """Write chunk ``index`` atomically; :class:`SweepStoreError` if it already exists.

        Every column must have the chunk's row count, and a ``sample`` column (when
        given) must hold the chunk's sample numbers.
        """
        rows = self.chunk_rows(index)
        expected = rows.stop - rows.start
        for name, values in columns.items():
            if len(values) != expected:
                raise SweepStoreError(
                    f"chunk {index}: column {name!r} has {len(values)} rows, the chunk has "
                    f"{expected}"
                )
        if "sample" in columns and not np.array_equal(
            np.asarray(columns["sample"]), np.arange(rows.start, rows.stop)
        ):
            raise SweepStoreError(
                f"chunk {index}: column 'sample' is not {rows.start}..{rows.stop - 1}"
            )
        final = self.chunk_path(index)
        temporary = self.chunks_dir / f".{final.stem}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        _write_parquet(_table(columns), temporary)
        try:
            os.link(temporary, final)
        except FileExistsError as error:
            raise SweepStoreError(
                f"chunk {index}: {final} already exists; a chunk is never written twice"
            ) from error
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(self.chunks_dir)
        return final

    def read_chunk(self, index: int) -> Any:
        """Chunk ``index`` as a pyarrow table."""
        import pyarrow.parquet as pq

        return pq.read_table(self.chunk_path(index))

    def consolidate(self) -> Path:
        """Write ``results.parquet``: every chunk, sorted by sample, atomically.

        Identical chunks give a byte-identical file. :class:`SweepStoreError` names the
        chunks still missing.
        """
        import pyarrow as pa

        missing = sorted(set(range(self.chunk_count)) - self.done_chunks())
        if missing:
            shown = ", ".join(str(i) for i in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise SweepStoreError(
                f"{self.directory}: chunks {shown}{more} of {self.chunk_count} are not done; "
                "run the sweep again to finish them"
            )
        tables = [self.read_chunk(index) for index in range(self.chunk_count)]
        table = pa.concat_tables(tables).combine_chunks()
        if "sample" in table.column_names:
            order = np.argsort(table.column("sample").to_numpy(), kind="stable")
            if not np.array_equal(order, np.arange(len(order))):
                table = table.take(pa.array(order))
        table = table.replace_schema_metadata(None)
        temporary = self.directory / f".results.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        try:
            _write_parquet(table, temporary)
            os.replace(temporary, self.results_path)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(self.directory)
        return self.results_path
