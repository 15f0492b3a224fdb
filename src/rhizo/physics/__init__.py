"""The lesion engine: an RF heat lesion around a cannula, verified and validated.

>>> from rhizo.physics import LesionProtocol, simulate
>>> result = simulate(LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80,
...                                  duration_s=90))  # doctest: +SKIP
>>> result.lesion.width_mm  # doctest: +SKIP

See docs/physics.md for the model, docs/validation.md for how it compares with
published lesions. Pure numerics: no I/O, no plotting, no clinic imports.
"""

from rhizo.physics.damage import ArrheniusModel
from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM, Electrode, Metal
from rhizo.physics.engine import GeneratorTraces, LesionResult, simulate
from rhizo.physics.generator import GeneratorSettings
from rhizo.physics.grid import AxisymmetricGrid, GridSettings
from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS, LesionDimensions
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.tissue import CLINICAL_TISSUE, DEFAULT_TISSUE, TISSUES, Tissue, get_tissue

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
