"""The lesion engine: an RF heat lesion around a cannula, verified and validated.

>>> from rhizo.physics import LesionProtocol, simulate
>>> result = simulate(LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80,
...                                  duration_s=90))  # doctest: +SKIP
>>> result.lesion.width_mm  # doctest: +SKIP

See docs/physics.md for the model, docs/validation.md for how it compares with
published lesions. Pure numerics: no I/O, no plotting, no clinic imports.
"""

from typing import TYPE_CHECKING, Any

from rhizo.physics.damage import ArrheniusModel
from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM, Electrode, Metal
from rhizo.physics.generator import GeneratorSettings
from rhizo.physics.grid import AxisymmetricGrid, GridSettings
from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS, LesionDimensions
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.tissue import CLINICAL_TISSUE, DEFAULT_TISSUE, TISSUES, Tissue, get_tissue

if TYPE_CHECKING:
    from rhizo.physics.engine import GeneratorTraces, LesionResult, simulate

#: Names of :mod:`rhizo.physics.engine`, imported on first use: the engine (and
#: ``LesionResult``'s finite-volume geometry) pull in SciPy, about 0.5-0.9 s of
#: CPU, which the planner's commands reading stored lesions never need (issue 17).
_ENGINE_NAMES = frozenset({"GeneratorTraces", "LesionResult", "simulate"})


def __getattr__(name: str) -> Any:
    """The engine's names (:data:`_ENGINE_NAMES`), imported when first asked for."""
    if name in _ENGINE_NAMES:
        from rhizo.physics import engine

        value = getattr(engine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rhizo.physics' has no attribute {name!r}")


__all__ = [
    "BOUNDARY_DESCRIPTIONS",
    "CLINICAL_TISSUE",
    "DEFAULT_TISSUE",
    "GAUGE_OUTER_DIAMETER_MM",
    "TISSUES",
    "ArrheniusModel",
    "AxisymmetricGrid",
    "Electrode",
    "GeneratorSettings",
    "GeneratorTraces",
    "GridSettings",
    "LesionDimensions",
    "LesionProtocol",
    "LesionResult",
    "Metal",
    "Tissue",
    "get_tissue",
    "simulate",
]
