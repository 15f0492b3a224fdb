"""rhizo.pathway: the care pathway as pure, cited rules (see docs/pathway.md)."""

from rhizo.pathway.gates import (
    GateFinding,
    GateVerdict,
    LesionCheck,
    MotorResponse,
    SensoryResponse,
    evaluate_lesion,
)

__all__ = [
    "GateFinding",
    "GateVerdict",
    "LesionCheck",
    "MotorResponse",
    "SensoryResponse",
    "evaluate_lesion",
]
