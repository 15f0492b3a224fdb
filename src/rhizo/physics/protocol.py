"""What to simulate: cannula, tissue, generator program, grid and damage model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rhizo.physics.damage import DEFAULT_DAMAGE_MODEL, ArrheniusModel
from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM, Electrode, Metal
from rhizo.physics.generator import GeneratorSettings
from rhizo.physics.grid import GridSettings
from rhizo.physics.tissue import DEFAULT_TISSUE, Tissue, get_tissue


class LesionProtocol(BaseModel):
    """One RF lesion: the clinical settings plus the model's numerical settings.

    Clinical units at this edge (mm, C, s); everything inside the solver is SI.

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
    series_resistance_ohm: float = Field(0.0, ge=0)
    metal: Metal = Metal()
    metal_conducts_heat: bool = True
    grid: GridSettings = GridSettings()
    damage: ArrheniusModel = DEFAULT_DAMAGE_MODEL

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
