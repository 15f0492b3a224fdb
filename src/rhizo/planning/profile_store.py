"""Lesion profiles kept on disk between runs, so a repeated ``rhizo recommend`` solves nothing.

:func:`stored_lesion_for` answers a protocol from a file when one was saved by
an earlier run, else from :func:`rhizo.planning.lesions.lesion_for` (a built
surrogate table or the solver) and saves it. Files live next to the surrogate
tables (:func:`rhizo.physics.cache_paths.default_cache_dir`'s parent):

    <cache>/rhizo/planner-lesions/<key>.npz

Every field of :class:`~rhizo.planning.lesions.LesionProfile` is kept (tissue,
cannula radius, provenance...). The key is the SHA-256 of the layout version and
the profile's field names, the boundary, the protocol's JSON
and :func:`rhizo.physics.cache_paths.physics_source_hash` (every byte of the
physics package), so a change to the physics or the protocol never serves a
stale lesion. A file that does not load, names another key or holds non-finite
numbers is recomputed and overwritten (written to a temporary file and renamed).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np

from rhizo.physics import LesionDimensions, LesionProtocol
from rhizo.physics.cache_paths import default_cache_dir, physics_source_hash
from rhizo.planning.lesions import LesionProfile, lesion_for

FORMAT_VERSION = 2
_MEMORY: dict[str, LesionProfile] = {}
#: Every field of LesionProfile but the arrays and the dimensions (stored as JSON).
_SCALARS = tuple(
    field.name
    for field in fields(LesionProfile)
    if field.name not in ("z_m", "radius_m", "dimensions")
)


def store_dir() -> Path:
    """Where planner lesions are kept (beside the surrogate tables)."""
    return default_cache_dir().parent / "planner-lesions"


def profile_key(protocol: LesionProtocol, boundary: str = "arrhenius") -> str:
    """SHA-256 naming one protocol's lesion under the current physics."""
    layout = ",".join(field.name for field in fields(LesionProfile))
    text = (
        f"{FORMAT_VERSION}\0{layout}\0{boundary}\0{protocol.model_dump_json()}\0"
        f"{physics_source_hash()}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _load(path: Path, key: str) -> LesionProfile | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            z_m = np.asarray(data["z_m"], dtype=np.float64)
            radius_m = np.asarray(data["radius_m"], dtype=np.float64)
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("key") != key or z_m.shape != radius_m.shape or z_m.size < 2:
        return None
    if not (np.all(np.isfinite(z_m)) and np.all(np.isfinite(radius_m))):
        return None
    dimensions = meta.get("dimensions")
    scalars = meta.get("fields", {})
    try:
        return LesionProfile(
            z_m=z_m,
            radius_m=radius_m,
            dimensions=LesionDimensions.model_validate(dimensions) if dimensions else None,
            **{name: scalars[name] for name in _SCALARS},
        )
    except (KeyError, TypeError, ValueError):
        return None


def _save(path: Path, key: str, profile: LesionProfile) -> None:
    meta = {
        "key": key,
        "dimensions": profile.dimensions.model_dump() if profile.dimensions else None,
        "fields": {name: getattr(profile, name) for name in _SCALARS},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, z_m=profile.z_m, radius_m=profile.radius_m, meta=json.dumps(meta))
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def stored_lesion_for(
    protocol: LesionProtocol,
    *,
    boundary: str = "arrhenius",
    compute: Callable[[LesionProtocol], LesionProfile] | None = None,
    directory: Path | None = None,
) -> LesionProfile:
    """The lesion of ``protocol`` from memory, the disk, or ``compute`` (default lesion_for)."""
    key = profile_key(protocol, boundary)
    found = _MEMORY.get(key)
    if found is not None:
        return found
    path = (directory or store_dir()) / f"{key}.npz"
    found = _load(path, key) if path.exists() else None
    if found is None:
        found = (compute or (lambda p: lesion_for(p, boundary=boundary)))(protocol)
        _save(path, key, found)
    _MEMORY[key] = found
    return found


def clear_memory() -> None:
    """Forget the in-process copies (tests; the files stay)."""
    _MEMORY.clear()
