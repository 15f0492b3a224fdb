"""Bone tissues for the 3D engine's solids: cortical shell and trabecular core.

:data:`rhizo.physics.three_d.geometry3d.CORTICAL_BONE` is the engine core's entry
(sources there); :data:`TRABECULAR_BONE` is the cancellous core of the parametric
lumbar level (:mod:`rhizo.physics.three_d.lumbar3d`). :data:`SOLID_TISSUES` names
both for label volumes (:mod:`rhizo.physics.three_d.label_volume`).

Evidence per field in each tissue's ``sources``; recalled values are listed in
``unverified``.
"""

from __future__ import annotations

from rhizo.physics.damage import DEFAULT_DAMAGE_MODEL
from rhizo.physics.three_d.geometry3d import CORTICAL_BONE
from rhizo.physics.tissue import Tissue, perfusion_rate_from_ml_per_min_kg

#: IT'IS "Bone (Cancellous)" density (kg/m^3): recalled, see TRABECULAR_BONE.sources.
TRABECULAR_DENSITY_KG_PER_M3 = 1178.0

#: Trabecular (cancellous) bone. Evidence per field in ``sources``.
TRABECULAR_BONE = Tissue(
    name="bone-trabecular",
    description=(
        "trabecular (cancellous) bone with marrow, inside the cortical shell: about five "
        "times less conductive than muscle"
    ),
    electrical_conductivity_s_per_m=0.087,
    thermal_conductivity_w_per_m_k=0.31,
    density_kg_per_m3=TRABECULAR_DENSITY_KG_PER_M3,
    specific_heat_j_per_kg_k=2274.0,
    perfusion_rate_per_s=perfusion_rate_from_ml_per_min_kg(30.0, TRABECULAR_DENSITY_KG_PER_M3),
    perfusion_model="stop",
    damage=DEFAULT_DAMAGE_MODEL,
    lesion_boundary_definition="Omega >= 1 of the liver set (no bone damage model): not a lesion",
    sources={
        "electrical_conductivity_s_per_m": (
            "SECONDARY: 0.087 S/m trabecular (0.02 S/m cortical) in the osteoid-osteoma RFA "
            "model, PubMed 26862788 (abstract as summarised in the project's research notes)"
        ),
        "conductivity_temperature_coefficient_per_k": (
            "RECALLED for bone: the soft-tissue 1.5 %/C of Irastorza's RFA-tutorial applied"
        ),
        "thermal_conductivity_w_per_m_k": (
            "RECALLED: IT'IS database 'Bone (Cancellous)' 0.31 W/(m K); of the order read in "
            "Fajardo Freites et al. 2018 (bovine trabecular bone, abstract read: no value "
            "quoted there) and in the 0.16-0.34 W/(m K) range quoted on the Biomch-L archive"
        ),
        "density_kg_per_m3": "RECALLED: IT'IS 'Bone (Cancellous)' 1178 kg/m^3",
        "specific_heat_j_per_kg_k": "RECALLED: IT'IS 'Bone (Cancellous)' 2274 J/(kg K)",
        "perfusion_rate_per_s": "RECALLED: IT'IS cancellous bone about 30 mL/(min kg)",
        "damage": "RECALLED stand-in: no bone Arrhenius set found; Jacques' liver set",
    },
    unverified=(
        "conductivity_temperature_coefficient_per_k",
        "thermal_conductivity_w_per_m_k",
        "density_kg_per_m3",
        "specific_heat_j_per_kg_k",
        "perfusion_rate_per_s",
        "damage",
    ),
)

#: The solid tissues by name, for label volumes and the parametric level.
SOLID_TISSUES: dict[str, Tissue] = {
    CORTICAL_BONE.name: CORTICAL_BONE,
    TRABECULAR_BONE.name: TRABECULAR_BONE,
}
