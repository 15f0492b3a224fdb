"""The physics source hash keys cached lesions: it covers the axisymmetric engine, not the 3D one.

Leaving ``rhizo.physics.three_d`` out is only safe while no other physics module
imports it; the first test checks that by reading every import statement, so a
new import of the 3D engine from the 2D side fails here instead of silently
leaving stale lesion tables.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rhizo.physics
from rhizo.physics import cache_paths

PACKAGE = Path(rhizo.physics.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_axisymmetric_module_imports_the_3d_engine() -> None:
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "three_d"
        and any(name.startswith("rhizo.physics.three_d") for name in _imports(path))
    ]
    assert offenders == []


def test_hash_changes_with_a_2d_file_and_not_with_a_3d_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "physics"
    (fake / "three_d").mkdir(parents=True)
    (fake / "cache_paths.py").write_text("x = 1\n")
    (fake / "engine.py").write_text("y = 1\n")
    (fake / "three_d" / "engine3d.py").write_text("z = 1\n")
    monkeypatch.setattr(cache_paths, "__file__", str(fake / "cache_paths.py"))

    def digest() -> str:
        cache_paths.physics_source_hash.cache_clear()
        return cache_paths.physics_source_hash()

    try:
        before = digest()
        (fake / "three_d" / "engine3d.py").write_text("z = 2\n")
        assert digest() == before
        (fake / "engine.py").write_text("y = 2\n")
        assert digest() != before
    finally:
        cache_paths.physics_source_hash.cache_clear()
