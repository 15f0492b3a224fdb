"""Types, schemas and errors shared by the clinic domains."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from rhizo.clinic.core.validation import check_texts

T = TypeVar("T")

VERTEBRAE: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    "S1",
)


class Side(StrEnum):
    """Laterality of a block, procedure or lesion."""

    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class Region(StrEnum):
    """Spinal region."""

    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"
    SACRAL = "sacral"


def str_enum(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, stored by value."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _joint_level(value: str) -> str:
    """``L4-L5``: two adjacent vertebrae, upper first."""
    match = re.fullmatch(r"([CTLS]\d{1,2})-([CTLS]\d{1,2})", value)
    if match is None or match[1] not in VERTEBRAE or match[2] not in VERTEBRAE:
        raise ValueError("a joint level is two adjacent vertebrae such as 'L4-L5' or 'L5-S1'")
    if VERTEBRAE.index(match[2]) != VERTEBRAE.index(match[1]) + 1:
        raise ValueError(f"{match[1]} and {match[2]} are not adjacent vertebrae")
    return value


JointLevel = Annotated[str, AfterValidator(_joint_level)]
JointLevels = Annotated[list[JointLevel], Field(min_length=1, max_length=12)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Notes = Annotated[str, Field(max_length=10_000)]


class Schema(BaseModel):
    """Base of every input schema: unknown fields are refused, numbers are finite
    (no NaN or Infinity) and text holds no NUL or lone surrogate
    (:mod:`rhizo.clinic.core.validation`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # Every string of every field, nested lists included: one rule for all schemas.
        return check_texts(value)


class ReadSchema(BaseModel):
    """Base of every output schema: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total that matched."""

    items: list[T]
    total: int
    limit: int
    offset: int


# --- errors the services raise and the API maps to status codes ---------------


class ClinicError(Exception):
    """Base of the service-layer errors."""


class NotFoundError(ClinicError):
    """An id that does not exist (HTTP 404)."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id} not found")
        self.entity = entity
        self.entity_id = entity_id


class ConflictError(ClinicError):
    """A write that clashes with existing data (HTTP 409)."""


class PermissionDeniedError(ClinicError):
    """The user's role does not allow this (HTTP 403)."""


@dataclass(frozen=True)
class FieldProblem:
    """One refused value: where, what, and the rule it broke."""

    field: str
    value: Any
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape used in 422 responses."""
        return {
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }


@dataclass
class InvalidInputError(ClinicError):
    """Input that passed the schema but broke a clinical rule (HTTP 422)."""

    problems: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)
