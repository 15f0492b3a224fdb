"""``rhizo recommend`` reading stored lesions never imports the engine or SciPy (issue 17).

The engine (and the lesion tables) pull in SciPy: about 0.9 s of CPU, more than
the rest of the CLI's imports together. They are imported where a lesion is
solved or a table built. Each check runs a fresh interpreter (this test
process has long imported SciPy) and can fail: a module-level import of the
engine anywhere on the path puts ``scipy`` in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{imports}
heavy = sorted(m for m in ("scipy", "rhizo.physics.engine", "rhizo.physics.surrogate")
               if m in sys.modules)
print(json.dumps(heavy))
"""


def _heavy_after(imports: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found: list[str] = json.loads(out)
    return found


@pytest.mark.parametrize(
    "imports",
    [
        "import rhizo.cli",
        "import rhizo.planning.recommend, rhizo.planning.profile_store",
        "from rhizo.physics import LesionProtocol, LesionDimensions",
    ],
)
def test_the_recommend_path_does_not_import_the_engine(imports: str) -> None:
    assert _heavy_after(imports) == []


def test_the_engine_names_still_resolve_on_first_use() -> None:
    # The probe's own check: asking for simulate imports the engine (and SciPy).
    assert _heavy_after("from rhizo.physics import simulate") == [
        "rhizo.physics.engine",
        "scipy",
    ]
    import rhizo.physics
    from rhizo.physics import engine

    assert rhizo.physics.simulate is engine.simulate
    assert rhizo.physics.LesionResult is engine.LesionResult
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = rhizo.physics.no_such_name  # type: ignore[attr-defined]
