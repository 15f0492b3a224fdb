"""Tissue properties for RF (~300-500 kHz) lesion models, each number with its source.

sigma(T) = sigma_ref * (1 + alpha_sigma * (T - T_ref)), clipped below at 5 % of
sigma_ref. Thermal conductivity, density and specific heat are taken constant
(published temperature coefficients of k differ tenfold between models: +0.12 %/C
in Berjano-group models, +2 %/C in Irastorza's RFA-tutorial; see docs/physics.md).
Perfusion enters the Pennes term w_b rho_b c_b (T - T_arterial) [W/m^3].

Each tissue carries its own damage model (:mod:`rhizo.physics.damage`: Omega =
integral A exp(-Ea/(R T)) dt, lesion where Omega >= 1) and names the lesion edge
its published measurements used (``lesion_boundary_definition``: visible whitening
on the bench, loss of nerve function in vivo), so results say what their lesion is.

Users define their own tissue by constructing :class:`Tissue` (or
``Tissue.model_validate(dict)``); :func:`get_tissue` resolves catalogue names.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from rhizo.physics.damage import (
    ALBUMEN_DAMAGE_MODEL,
    DEFAULT_DAMAGE_MODEL,
    FAT_DAMAGE_MODEL,
    MUSCLE_DAMAGE_MODEL,
    ArrheniusModel,
    float_array,
)
from rhizo.physics.tissues.sources import SOURCES

FloatArray = NDArray[np.float64]


class Tissue(BaseModel):
    """Homogeneous tissue around the cannula (SI units, temperatures in C)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    electrical_conductivity_s_per_m: float = Field(gt=0, description="sigma at T_ref")
    conductivity_reference_temperature_c: float = 37.0
    conductivity_temperature_coefficient_per_k: float = Field(0.015, ge=0, le=0.05)
    thermal_conductivity_w_per_m_k: float = Field(gt=0)
    density_kg_per_m3: float = Field(gt=0)
    specific_heat_j_per_kg_k: float = Field(gt=0)
    perfusion_rate_per_s: float = Field(0.0, ge=0, description="w_b in the Pennes term")
    blood_density_kg_per_m3: float = Field(1000.0, gt=0)
    blood_specific_heat_j_per_kg_k: float = Field(4180.0, gt=0)
    initial_temperature_c: float = Field(37.0, ge=0, le=45)
    arterial_temperature_c: float = Field(37.0, ge=0, le=45)
    perfusion_model: Literal["vascular_stasis", "stop", "constant"] = Field(
        "vascular_stasis",
        description=(
            "how perfusion falls as tissue coagulates: 'vascular_stasis' w_b exp(-Omega) "
            "(Chang & Nguyen 2004), 'stop' w_b where Omega < 1 else 0 (RFA-tutorial), "
            "'constant' w_b everywhere"
        ),
    )
    damage: ArrheniusModel = Field(
        DEFAULT_DAMAGE_MODEL, description="this tissue's own damage model (Omega >= 1 = lesion)"
    )
    lesion_boundary_definition: str = Field(
        "Omega >= 1 of the tissue's damage model",
        description="the lesion edge this tissue's published measurements used",
    )
    sources: dict[str, str] = Field(default_factory=dict)
    unverified: tuple[str, ...] = Field(
        default=(), description="field names whose values were recalled, not read in a source"
    )

    def electrical_conductivity(self, temperature_c: FloatArray) -> FloatArray:
        """sigma(T) in S/m for an array of temperatures (C), floored at 5 % of sigma_ref.

        Returns an array of the input's library (NumPy, or CuPy on a GPU).
        """
        factor = 1.0 + self.conductivity_temperature_coefficient_per_k * (
            float_array(temperature_c) - self.conductivity_reference_temperature_c
        )
        sigma: FloatArray = self.electrical_conductivity_s_per_m * np.maximum(factor, 0.05)
        return sigma

    def perfusion_fraction(self, omega: FloatArray) -> FloatArray:
        """Fraction of the baseline perfusion w_b left after damage Omega (dimensionless).

        'vascular_stasis': exp(-Omega), i.e. 1 - DS with DS = 1 - exp(-Omega) the
        degree of vascular stasis (Chang & Nguyen 2004; Schutt & Haemmerich 2008).
        'stop': 1 where Omega < 1, 0 where Omega >= 1 (RFA-tutorial's 'stop' model).
        'constant': 1 everywhere (perfusion unaffected by coagulation).
        The Pennes sink of a cell is then W * fraction * (T - T_a). Arithmetic and
        ufuncs only, so NumPy and CuPy arrays both stay in their own library.
        """
        values = float_array(omega)
        fraction: FloatArray
        if self.perfusion_model == "constant":
            fraction = values * 0.0 + 1.0
        elif self.perfusion_model == "stop":
            fraction = (values < 1.0).astype(values.dtype)
        else:
            fraction = np.exp(-np.maximum(values, 0.0))
        return fraction

    @property
    def perfusion_coefficient_w_per_m3_k(self) -> float:
        """W = w_b rho_b c_b of the Pennes term."""
        return (
            self.perfusion_rate_per_s
            * self.blood_density_kg_per_m3
            * self.blood_specific_heat_j_per_kg_k
        )

    @property
    def volumetric_heat_capacity_j_per_m3_k(self) -> float:
        """rho c."""
        return self.density_kg_per_m3 * self.specific_heat_j_per_kg_k


def perfusion_rate_from_ml_per_min_kg(rate_ml_per_min_kg: float, density_kg_per_m3: float) -> float:
    """The Pennes w_b (1/s) of a perfusion given per tissue mass, in mL/(min kg).

    w_b = rate [mL/(min kg)] * 1e-6 [m^3/mL] * rho [kg/m^3] / 60 [s/min]: blood volume
    per second per tissue volume (the IT'IS database's "heat transfer rate" unit).
    """
    if rate_ml_per_min_kg < 0 or density_kg_per_m3 <= 0:
        raise ValueError(
            f"rate_ml_per_min_kg={rate_ml_per_min_kg:g} must be >= 0 and "
            f"density_kg_per_m3={density_kg_per_m3:g} > 0"
        )
    return rate_ml_per_min_kg * 1e-6 * density_kg_per_m3 / 60.0


#: IT'IS database "heat transfer rate" (blood perfusion) of muscle, mL/(min kg): the
#: V4.2 row 'Muscle' (36.7382931), SECONDARY (sources.SOURCES["perfusion_muscle"]).
ITIS_MUSCLE_PERFUSION_ML_PER_MIN_KG = 36.7382931
#: The same for fat, mL/(min kg): 33 (v4.1 as quoted, rounded), SECONDARY
#: (sources.SOURCES["perfusion_fat"]).
ITIS_FAT_PERFUSION_ML_PER_MIN_KG = 33.0

_MUSCLE_SOURCES = {
    "damage": MUSCLE_DAMAGE_MODEL.source,
    "electrical_conductivity_s_per_m": SOURCES["gabriel"],
    "conductivity_temperature_coefficient_per_k": SOURCES["irastorza"],
    "thermal_conductivity_w_per_m_k": SOURCES["itis_muscle"],
    "density_kg_per_m3": SOURCES["itis_muscle"],
    "specific_heat_j_per_kg_k": SOURCES["itis_muscle"],
}

TISSUES: dict[str, Tissue] = {
    tissue.name: tissue
    for tissue in (
        Tissue(
            name="chicken-breast-ex-vivo",
            description=(
                "ex-vivo chicken breast at bench temperature (21 C), no perfusion: the usual "
                "bench model for RF cannula lesions (Provenzano 2010, Ortiz). Skeletal-muscle "
                "properties stand in for chicken breast."
            ),
            electrical_conductivity_s_per_m=0.446,
            thermal_conductivity_w_per_m_k=0.49,
            density_kg_per_m3=1090.0,
            specific_heat_j_per_kg_k=3421.0,
            initial_temperature_c=21.0,
            arterial_temperature_c=21.0,
            damage=MUSCLE_DAMAGE_MODEL,
            lesion_boundary_definition=(
                "visible whitening of the cut muscle (calipers or photographs)"
            ),
            sources={
                **_MUSCLE_SOURCES,
                "initial_temperature_c": SOURCES["ortiz_bench"],
                "lesion_boundary_definition": SOURCES["boundary_bench_muscle"],
            },
        ),
        Tissue(
            name="muscle-ex-vivo",
            description="ex-vivo skeletal muscle warmed to 37 C in a bath, no perfusion.",
            electrical_conductivity_s_per_m=0.446,
            thermal_conductivity_w_per_m_k=0.49,
            density_kg_per_m3=1090.0,
            specific_heat_j_per_kg_k=3421.0,
            initial_temperature_c=37.0,
            arterial_temperature_c=37.0,
            damage=MUSCLE_DAMAGE_MODEL,
            lesion_boundary_definition=(
                "visible whitening of the cut muscle (calipers or photographs)"
            ),
            sources={
                **_MUSCLE_SOURCES,
                "lesion_boundary_definition": SOURCES["boundary_bench_muscle"],
            },
        ),
        Tissue(
            name="egg-white",
            description=(
                "egg white (albumen) at 37 C, the Bogduk 1987 and Tew-electrode bench model."
            ),
            electrical_conductivity_s_per_m=0.7,
            conductivity_reference_temperature_c=25.0,
            thermal_conductivity_w_per_m_k=0.55,
            density_kg_per_m3=1035.0,
            specific_heat_j_per_kg_k=3800.0,
            initial_temperature_c=37.0,
            arterial_temperature_c=37.0,
            damage=ALBUMEN_DAMAGE_MODEL,
            lesion_boundary_definition="visible whitening (opaque coagulum) of the egg white",
            sources={
                "damage": ALBUMEN_DAMAGE_MODEL.source,
                "lesion_boundary_definition": SOURCES["boundary_egg"],
                "electrical_conductivity_s_per_m": SOURCES["egg_sigma"],
                "conductivity_temperature_coefficient_per_k": SOURCES["irastorza"],
                "thermal_conductivity_w_per_m_k": SOURCES["coimbra_egg"],
                "density_kg_per_m3": SOURCES["coimbra_egg"],
                "specific_heat_j_per_kg_k": SOURCES["coimbra_egg"],
            },
            unverified=(
                "damage",
                "electrical_conductivity_s_per_m",
                "thermal_conductivity_w_per_m_k",
                "density_kg_per_m3",
                "specific_heat_j_per_kg_k",
            ),
        ),
        Tissue(
            name="liver-ex-vivo",
            description="ex-vivo liver at bench temperature (21 C), no perfusion (Goldberg 1995).",
            electrical_conductivity_s_per_m=0.333,
            thermal_conductivity_w_per_m_k=0.52,
            density_kg_per_m3=1079.0,
            specific_heat_j_per_kg_k=3540.0,
            initial_temperature_c=21.0,
            arterial_temperature_c=21.0,
            damage=DEFAULT_DAMAGE_MODEL,
            lesion_boundary_definition="white coagulation zone of the cut liver",
            sources={
                "damage": DEFAULT_DAMAGE_MODEL.source,
                "lesion_boundary_definition": SOURCES["boundary_liver"],
                "electrical_conductivity_s_per_m": SOURCES["comsol_liver"],
                "conductivity_temperature_coefficient_per_k": SOURCES["irastorza"],
                "thermal_conductivity_w_per_m_k": SOURCES["comsol_liver"],
                "density_kg_per_m3": SOURCES["comsol_liver"],
                "specific_heat_j_per_kg_k": SOURCES["comsol_liver"],
            },
        ),
        Tissue(
            name="muscle-in-vivo",
            description=(
                "perfused paraspinal muscle at 37 C, perfusion falling with coagulation: the "
                "clinical case and the planner's default."
            ),
            electrical_conductivity_s_per_m=0.446,
            thermal_conductivity_w_per_m_k=0.49,
            density_kg_per_m3=1090.0,
            specific_heat_j_per_kg_k=3421.0,
            perfusion_rate_per_s=perfusion_rate_from_ml_per_min_kg(
                ITIS_MUSCLE_PERFUSION_ML_PER_MIN_KG, 1090.0
            ),
            blood_density_kg_per_m3=1000.0,
            blood_specific_heat_j_per_kg_k=4180.0,
            initial_temperature_c=37.0,
            arterial_temperature_c=37.0,
            damage=MUSCLE_DAMAGE_MODEL,
            lesion_boundary_definition=(
                "coagulated muscle (the bench whitening model applied in vivo)"
            ),
            sources={
                **_MUSCLE_SOURCES,
                "perfusion_rate_per_s": SOURCES["perfusion_muscle"],
                "perfusion_model": SOURCES["chang_nguyen"],
                "blood_density_kg_per_m3": SOURCES["comsol_liver"],
                "blood_specific_heat_j_per_kg_k": SOURCES["comsol_liver"],
            },
        ),
        Tissue(
            name="fat-in-vivo",
            description="perfused subcutaneous or paraspinal fat at 37 C.",
            electrical_conductivity_s_per_m=0.0248,
            thermal_conductivity_w_per_m_k=0.21,
            density_kg_per_m3=911.0,
            specific_heat_j_per_kg_k=2348.0,
            perfusion_rate_per_s=perfusion_rate_from_ml_per_min_kg(
                ITIS_FAT_PERFUSION_ML_PER_MIN_KG, 911.0
            ),
            initial_temperature_c=37.0,
            arterial_temperature_c=37.0,
            damage=FAT_DAMAGE_MODEL,
            lesion_boundary_definition="thermal damage of fat (Omega >= 1 of COMSOL's fat set)",
            sources={
                "damage": FAT_DAMAGE_MODEL.source,
                "electrical_conductivity_s_per_m": SOURCES["gabriel_fat"],
                "conductivity_temperature_coefficient_per_k": SOURCES["irastorza"],
                "thermal_conductivity_w_per_m_k": SOURCES["itis_fat"],
                "density_kg_per_m3": SOURCES["itis_fat"],
                "specific_heat_j_per_kg_k": SOURCES["itis_fat"],
                "perfusion_rate_per_s": SOURCES["perfusion_fat"],
                "perfusion_model": SOURCES["chang_nguyen"],
                "blood_density_kg_per_m3": SOURCES["comsol_liver"],
                "blood_specific_heat_j_per_kg_k": SOURCES["comsol_liver"],
            },
        ),
    )
}

DEFAULT_TISSUE = "chicken-breast-ex-vivo"
"""The bench tissue of the physics defaults (the published bench lesions' medium)."""

CLINICAL_TISSUE = "muscle-in-vivo"
"""The tissue the planner (CLI, API, web) plans living patients in."""


def get_tissue(name: str) -> Tissue:
    """Look up a catalogue tissue by name; raises ``KeyError`` naming the allowed ones."""
    try:
        return TISSUES[name]
    except KeyError:
        allowed = ", ".join(sorted(TISSUES))
        raise KeyError(f"unknown tissue {name!r}; allowed: {allowed}") from None
