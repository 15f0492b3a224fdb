"""Lesion tables built once, cached on disk, and answers that fall back to the solver.

:class:`LesionTables` answers a protocol from the table of its (gauge, tip kind,
tissue) when the protocol is tabulated (every field but tip, set temperature and time
at the catalogue defaults, the grid the tables use, inside the box, no warning in the
stencil) and from the engine otherwise; :class:`rhizo.physics.surrogate.LesionAnswer`
says which and why. Tables are built lazily the first time they are asked for (with
``build=True``; a minute or so of CPU for the clinical 448-run box) or ahead of time
(``rhizo lesion-table build``), and stored in the user's cache directory:

    $RHIZO_CACHE_DIR/lesion-tables/<key>.npz          when RHIZO_CACHE_DIR is set
    $XDG_CACHE_HOME (or ~/.cache, %LOCALAPPDATA%)/rhizo/lesion-tables/<key>.npz

The key is the SHA-256 of everything that changes a tabulated number: the file
layout version, the package version, the table's base protocol (tissue, damage
model, grid, generator limits, metal...), the axes, the held-out design, and the
bytes of every source file of :mod:`rhizo.physics`, so any change to the physics
gives a new key and never serves a stale table. A file is trusted only if it loads
without pickle, names the expected key and spec, has the right shapes, finite values
and a matching SHA-256 of its arrays; otherwise it is rebuilt and overwritten
(written to a temporary file and renamed, so readers never see half a file).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rhizo import __version__
from rhizo.physics.cache_paths import CACHE_ENV as CACHE_ENV
from rhizo.physics.cache_paths import default_cache_dir as default_cache_dir
from rhizo.physics.cache_paths import physics_source_hash as physics_source_hash
from rhizo.physics.engine import simulate
from rhizo.physics.grid import GridSettings
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.result import LesionResult
from rhizo.physics.surrogate import (
    AXIS_FIELDS,
    DEFAULT_AXES,
    PROFILE_POINTS,
    HeldOutError,
    LesionAnswer,
    SurrogateTable,
    TableAxes,
    TableSpec,
    solver_answer,
)
from rhizo.physics.surrogate_build import HELD_OUT_POINTS, HELD_OUT_SEED, build_table
from rhizo.physics.tissue import TISSUES

logger = logging.getLogger(__name__)

#: Bump when the file layout or the tabulated vector changes.
FORMAT_VERSION = 1
ProgressCallback = Callable[[int, int], None]
Solver = Callable[[LesionProtocol], LesionResult]


def table_key(
    spec: TableSpec,
    *,
    held_out_points: int = HELD_OUT_POINTS,
    seed: int = HELD_OUT_SEED,
    source_hash: str | None = None,
) -> str:
    """The cache key of a table: SHA-256 of everything that affects its numbers."""
    payload = {
        "format": FORMAT_VERSION,
        "rhizo": __version__,
        "base": spec.base.model_dump(mode="json", exclude=set(AXIS_FIELDS)),
        "axes": spec.axes.model_dump(mode="json"),
        "profile_points": PROFILE_POINTS,
        "held_out": [held_out_points, seed],
        "physics_source": source_hash or physics_source_hash(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _checksum(values: np.ndarray, usable: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(usable, dtype=np.bool_).tobytes())
    return digest.hexdigest()


def save_table(table: SurrogateTable, path: Path) -> None:
    """Write a table atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT_VERSION,
        "key": table.key,
        "spec": table.spec.model_dump(mode="json"),
        "held_out": table.held_out.model_dump() if table.held_out else None,
        "build_s": table.build_s,
        "checksum": _checksum(table.values, table.usable),
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".table-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(
                stream,
                values=table.values,
                usable=table.usable,
                meta=np.asarray(json.dumps(meta)),
            )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_table(path: Path, *, key: str, spec: TableSpec) -> SurrogateTable | str:
    """The table stored at ``path``, or why it cannot be trusted."""
    try:
        with path.open("rb") as stream, np.load(stream, allow_pickle=False) as data:
            values = np.asarray(data["values"], dtype=np.float64)
            usable = np.asarray(data["usable"], dtype=np.bool_)
            meta = json.loads(str(data["meta"]))
    except FileNotFoundError:
        return "no cached file"
    except Exception as error:
        return f"unreadable ({type(error).__name__}: {error})"
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        return "another file format"
    if meta.get("key") != key or meta.get("spec") != spec.model_dump(mode="json"):
        return "it names another table"
    if meta.get("checksum") != _checksum(values, usable):
        return "its arrays do not match their checksum"
    if not np.all(np.isfinite(values)):
        return "it holds non-finite values"
    try:
        held = meta.get("held_out")
        return SurrogateTable(
            spec=spec,
            key=key,
            values=values,
            usable=usable,
            held_out=HeldOutError.model_validate(held) if held is not None else None,
            build_s=float(meta.get("build_s", 0.0)),
        )
    except (ValueError, TypeError) as error:
        return f"inconsistent ({error})"


class LesionTables:
    """Lesion tables per (gauge, tip kind, tissue), in memory and on disk.

    ``grid`` and ``axes`` are those every table uses (the defaults for the clinic;
    tests pass a coarse grid and a small box); ``backend`` builds them ("numpy" or
    "cupy").
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        axes: TableAxes = DEFAULT_AXES,
        grid: GridSettings | None = None,
        backend: str = "numpy",
        held_out_points: int = HELD_OUT_POINTS,
        seed: int = HELD_OUT_SEED,
    ) -> None:
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.axes = axes
        self.grid = grid if grid is not None else GridSettings()
        self.backend = backend
        self.held_out_points = held_out_points
        self.seed = seed
        self._tables: dict[str, SurrogateTable] = {}
        self._specs: dict[tuple[int, str, str], TableSpec] = {}
        self._keys: dict[int, tuple[TableSpec, str]] = {}
        self._lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}

    def spec(self, *, gauge: int, tip_kind: str, tissue: str) -> TableSpec:
        """The table of one cannula in one catalogue tissue (defaults elsewhere)."""
        index = (gauge, tip_kind, tissue)
        spec = self._specs.get(index)
        if spec is None:
            base = LesionProtocol.model_validate(
                {"gauge": gauge, "tip_kind": tip_kind, "tissue": tissue, "grid": self.grid}
            )
            spec = TableSpec(base=base, axes=self.axes)
            self._specs[index] = spec
        return spec

    def spec_for(self, protocol: LesionProtocol) -> TableSpec | str:
        """The table that would hold ``protocol``, or why none does."""
        name = protocol.tissue.name
        if name not in TISSUES:
            return f"tissue {name!r} is not a catalogue tissue"
        spec = self.spec(gauge=protocol.gauge, tip_kind=protocol.tip_kind, tissue=name)
        differing = spec.differing(protocol)
        if differing:
            return f"not tabulated: {', '.join(differing)} differ from the table's"
        return spec

    def key(self, spec: TableSpec) -> str:
        """The cache key of ``spec`` under this manager's held-out design."""
        known = self._keys.get(id(spec))
        if known is not None and known[0] is spec:
            return known[1]
        key = table_key(spec, held_out_points=self.held_out_points, seed=self.seed)
        self._keys[id(spec)] = (spec, key)
        return key

    def path(self, spec: TableSpec) -> Path:
        """Where the table of ``spec`` is cached."""
        return self.cache_dir / f"{self.key(spec)}.npz"

    def table(
        self, spec: TableSpec, *, build: bool = True, progress: ProgressCallback | None = None
    ) -> SurrogateTable | None:
        """The table of ``spec``: from memory, from disk, or built (``build``) and saved."""
        key = self.key(spec)
        table = self._tables.get(key)
        if table is not None:
            return table
        with self._lock:
            lock = self._build_locks.setdefault(key, threading.Lock())
        with lock:
            table = self._tables.get(key)
            if table is not None:
                return table
            path = self.path(spec)
            loaded = load_table(path, key=key, spec=spec)
            if isinstance(loaded, SurrogateTable):
                self._tables[key] = loaded
                return loaded
            if path.exists():
                logger.warning("lesion table %s not trusted (%s): rebuilding", path, loaded)
            if not build:
                return None
            table = build_table(
                spec,
                key=key,
                backend=self.backend,
                progress=progress,
                held_out_points=self.held_out_points,
                seed=self.seed,
            )
            try:
                save_table(table, path)
            except OSError as error:  # a read-only or full cache: keep it in memory only
                logger.warning("lesion table not cached at %s (%s)", path, error)
            self._tables[key] = table
            return table

    def lookup(
        self,
        protocol: LesionProtocol,
        *,
        build: bool = True,
        progress: ProgressCallback | None = None,
    ) -> LesionAnswer | str:
        """The surrogate's answer, or why the table cannot give one (no solver run).

        ``progress(done, total)`` reports a build (lesions run).
        """
        spec = self.spec_for(protocol)
        if isinstance(spec, str):
            return spec
        table = self.table(spec, build=build, progress=progress)
        if table is None:
            return f"no lesion table for {spec.label} yet (rhizo lesion-table build)"
        return table.answer(protocol, matched=True)

    def answer(
        self, protocol: LesionProtocol, *, build: bool = True, solver: Solver | None = None
    ) -> LesionAnswer:
        """The surrogate's answer when the protocol is tabulated, else the solver's.

        ``build=False`` uses only tables already in memory or on disk (interactive
        pages); ``solver`` replaces :func:`rhizo.physics.simulate` (tests).
        """
        found = self.lookup(protocol, build=build)
        if isinstance(found, LesionAnswer):
            return found
        return solver_answer((solver or simulate)(protocol), reason=found)


_DEFAULT: list[LesionTables] = []


def default_tables() -> LesionTables:
    """The process's tables (default axes and grid, the user's cache directory)."""
    if not _DEFAULT:
        _DEFAULT.append(LesionTables())
    return _DEFAULT[0]
