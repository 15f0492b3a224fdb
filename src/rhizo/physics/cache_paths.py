"""Where rhizo caches computed lesions, and the physics' source hash that keys them.

Kept apart from :mod:`rhizo.physics.surrogate_cache` (which re-exports them) so
that a reader of stored lesions (:mod:`rhizo.planning.profile_store`) need not
import the engine and SciPy (issue 17: about 0.9 s of CPU per ``rhizo recommend``).

    $RHIZO_CACHE_DIR/lesion-tables                     when RHIZO_CACHE_DIR is set
    $XDG_CACHE_HOME (or ~/.cache, %LOCALAPPDATA%)/rhizo/lesion-tables
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

CACHE_ENV = "RHIZO_CACHE_DIR"


def default_cache_dir() -> Path:
    """The user's cache directory for lesion tables (see the module docstring)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override) / "lesion-tables"
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "rhizo" / "lesion-tables"


#: Subpackages of rhizo.physics the axisymmetric engine never imports.
_NOT_AXISYMMETRIC = frozenset({"three_d"})


@cache
def physics_source_hash() -> str:
    """SHA-256 over the path and bytes of the .py files of rhizo.physics the 2D engine runs.

    The 3D engine (:mod:`rhizo.physics.three_d`) imports the shared physics modules
    but none of them imports it, so its own files cannot change an axisymmetric
    lesion: they are left out, and a change there does not invalidate the cached
    lesion tables and stored capture predictions.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).parts[0] in _NOT_AXISYMMETRIC:
            continue
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
