"""What to simulate: cannula, tissue, generator program, grid and damage model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rhizo.physics.damage import ArrheniusModel
from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM, Electrode, Metal
from rhizo.physics.generator import GeneratorSettings
from rhizo.physics.grid import GridSettings
from rhizo.physics.return_path import RETURN_PATH_RESISTANCE_OHM
from rhizo.physics.tissue import DEFAULT_TISSUE, TISSUES, Tissue, get_tissue


def _resolve_tissue(value: object) -> Tissue | None:
    """The Tissue a raw ``tissue`` input names, or None if it is not valid (reported later)."""
    if isinstance(value, Tissue):
        return value
    if isinstance(value, str):
        return TISSUES.get(value)
    if isinstance(value, dict):
        try:
            return Tissue.model_validate(value)
        except ValidationError:
            return None
    return None


class LesionProtocol(BaseModel):
    """One RF lesion: the clinical settings plus the model's numerical settings.

    Clinical units at this edge (mm, C, s); everything inside the solver is SI.
    ``damage`` defaults to the tissue's own damage model (``tissue.damage``); an
    explicit model overrides it. (``model_copy(update={"tissue": ...})`` skips
    validation and so keeps the old damage model: construct a new protocol instead.)

    >>> LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90).gauge
    18
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    gauge: int = Field(18, description="16, 18, 20 or 22")
    tip_length_mm: float = Field(10.0, ge=2.0, le=20.0)
    tip_kind: Literal["blunt", "sharp"] = "blunt"
    set_temperature_c: float = Field(80.0, ge=37.0, le=95.0)
    duration_s: float = Field(90.0, ge=1.0, le=600.0, description="time at set temperature")
    ramp_s: float = Field(15.0, ge=0.0, le=120.0)
    tissue: Tissue = Field(default_factory=lambda: get_tissue(DEFAULT_TISSUE))
    max_power_w: float = Field(50.0, gt=0)
    max_voltage_v: float = Field(100.0, gt=0)
    #: Pad, body and leads in series with the tissue (rhizo.physics.return_path, sourced there).
    series_resistance_ohm: float = Field(RETURN_PATH_RESISTANCE_OHM, ge=0)
    metal: Metal = Metal()
    metal_conducts_heat: bool = True
    grid: GridSettings = GridSettings()
    damage: ArrheniusModel = Field(
        default_factory=lambda: get_tissue(DEFAULT_TISSUE).damage,
        description="damage model; defaults to the tissue's own",
    )

    @model_validator(mode="before")
    @classmethod
    def _damage_from_tissue(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("damage") is None:
            tissue = _resolve_tissue(data.get("tissue", DEFAULT_TISSUE))
            if tissue is not None:
                return {**data, "damage": tissue.damage}
        return data

    @property
    def damage_is_tissue_default(self) -> bool:
        """True when the lesion is computed with the tissue's own damage model."""
        return self.damage == self.tissue.damage

    @property
    def lesion_boundary_definition(self) -> str:
        """What the Arrhenius boundary (Omega >= 1) of this protocol's lesion marks.

        The tissue's published lesion edge with its own damage model; an explicit
        damage model's endpoint otherwise.
        """
        if self.damage_is_tissue_default:
            return self.tissue.lesion_boundary_definition
        return f"{self.damage.endpoint} ({self.damage.name})"

    @field_validator("tissue", mode="before")
    @classmethod
    def _tissue_by_name(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return get_tissue(value)
            except KeyError as error:
                raise ValueError(str(error.args[0])) from None
        return value

    @field_validator("gauge")
    @classmethod
    def _gauge_in_catalogue(cls, gauge: int) -> int:
        if gauge not in GAUGE_OUTER_DIAMETER_MM:
            allowed = ", ".join(str(g) for g in GAUGE_OUTER_DIAMETER_MM)
            raise ValueError(f"gauge {gauge} is not in the catalogue; allowed: {allowed}")
        return gauge

    @property
    def electrode(self) -> Electrode:
        """The cannula model."""
        return Electrode(
            gauge=self.gauge,
            tip_length_mm=self.tip_length_mm,
            tip_kind=self.tip_kind,
            metal=self.metal,
        )

    @property
    def generator(self) -> GeneratorSettings:
        """The generator program and limits."""
        return GeneratorSettings(
            set_temperature_c=self.set_temperature_c,
            duration_s=self.duration_s,
            ramp_s=self.ramp_s,
            max_power_w=self.max_power_w,
            max_voltage_v=self.max_voltage_v,
            series_resistance_ohm=self.series_resistance_ohm,
        )
