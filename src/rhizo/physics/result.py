"""What a lesion simulation returns: dimensions per boundary, fields, generator traces."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.fv import CannulaGeometry
from rhizo.physics.grid import AxisymmetricGrid
from rhizo.physics.lesion import (
    BOUNDARY_DESCRIPTIONS,
    LesionDimensions,
    measure_batch,
    radius_profile,
)
from rhizo.physics.protocol import LesionProtocol

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GeneratorTraces:
    """What the generator display shows, sampled at the end of every time step.

    The time step is that of the run (``GridSettings``: ``time_step_s`` over the ramp,
    then growing to ``max_time_step_s`` in the hold), so samples are not evenly spaced.
    """

    time_s: FloatArray
    set_point_c: FloatArray
    tip_temperature_c: FloatArray
    voltage_v: FloatArray
    current_a: FloatArray
    power_w: FloatArray
    impedance_ohm: FloatArray


@dataclass(frozen=True)
class LesionResult:
    """Lesion dimensions per boundary, final fields and the generator traces.

    ``peak_tissue_temperature_c`` is the hottest any tissue cell became during the
    run (C); ``warnings`` says where the model stopped being valid (e.g. boiling).
    """

    protocol: LesionProtocol
    grid: AxisymmetricGrid
    metal: NDArray[np.bool_]
    temperature_c: FloatArray
    peak_temperature_c: FloatArray
    log10_omega: FloatArray
    unit_potential: FloatArray
    traces: GeneratorTraces
    boundaries: dict[str, LesionDimensions]
    runtime_s: float
    energy_j: float
    diagnostics: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def lesion(self) -> LesionDimensions:
        """The default boundary (Arrhenius Omega >= 1)."""
        return self.boundaries["arrhenius"]

    @property
    def max_power_w(self) -> float:
        """Largest power delivered during the run."""
        return float(self.traces.power_w.max())

    @property
    def final_impedance_ohm(self) -> float:
        """Impedance at the end of the run."""
        return float(self.traces.impedance_ohm[-1])

    @property
    def peak_tissue_temperature_c(self) -> float:
        """Highest temperature any tissue cell reached during the run (C)."""
        return float(np.max(np.where(self.metal, -np.inf, self.peak_temperature_c)))

    @property
    def simulated_s(self) -> float:
        """Time the run covered (s); shorter than the program when it stopped early."""
        return float(self.traces.time_s[-1])

    def boundary_field(self, boundary: str) -> tuple[FloatArray, float]:
        """The cell field and threshold that define a boundary."""
        fields = boundary_fields(self.log10_omega, self.peak_temperature_c)
        if boundary not in fields:
            allowed = ", ".join(BOUNDARY_DESCRIPTIONS)
            raise KeyError(f"unknown boundary {boundary!r}; allowed: {allowed}")
        return fields[boundary]

    def radius_profile_m(self, boundary: str = "arrhenius") -> tuple[FloatArray, FloatArray]:
        """(z of each grid row, outer lesion radius there) in metres; radius 0 = no lesion.

        z runs along the cannula, distally positive, z = 0 at the metal's end; the
        active tip spans -L..0. The lesion is the solid of revolution of this profile.
        """
        values, threshold = self.boundary_field(boundary)
        return self.grid.z_centres_m.copy(), radius_profile(
            self.grid, values, threshold, self.metal
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (inputs, default-boundary dimensions, all boundaries)."""
        lesion = self.lesion
        tissue = self.protocol.tissue
        return {
            "inputs": {
                "gauge": self.protocol.gauge,
                "tip_length_mm": self.protocol.tip_length_mm,
                "tip_kind": self.protocol.tip_kind,
                "set_temperature_c": self.protocol.set_temperature_c,
                "duration_s": self.protocol.duration_s,
                "ramp_s": self.protocol.ramp_s,
                "tissue": tissue.name,
                "initial_temperature_c": tissue.initial_temperature_c,
                "damage_model": self.protocol.damage.name,
            },
            "boundary": lesion.boundary,
            "lesion_boundary_definition": self.protocol.lesion_boundary_definition,
            "width_mm": lesion.width_mm,
            "length_mm": lesion.length_mm,
            "distal_extension_mm": lesion.distal_extension_mm,
            "proximal_extension_mm": lesion.proximal_extension_mm,
            "volume_mm3": lesion.volume_mm3,
            "boundaries": {name: dims.model_dump() for name, dims in self.boundaries.items()},
            "max_power_w": self.max_power_w,
            "final_impedance_ohm": self.final_impedance_ohm,
            "final_tip_temperature_c": float(self.traces.tip_temperature_c[-1]),
            "peak_tissue_temperature_c": self.peak_tissue_temperature_c,
            "simulated_s": self.simulated_s,
            "warnings": list(self.warnings),
            "energy_j": self.energy_j,
            "runtime_s": self.runtime_s,
        }


def boundary_fields(
    log10_omega: FloatArray, peak_temperature_c: FloatArray
) -> dict[str, tuple[FloatArray, float]]:
    """Each lesion boundary as (cell field, threshold): Omega >= 1, peak >= 50 C, >= 45 C."""
    return {
        "arrhenius": (log10_omega, 0.0),
        "isotherm_50c": (peak_temperature_c, 50.0),
        "isotherm_45c": (peak_temperature_c, 45.0),
    }


def lesion_boundaries(
    protocol: LesionProtocol, geometry: CannulaGeometry, omega: FloatArray, peak: FloatArray
) -> tuple[FloatArray, FloatArray, dict[str, LesionDimensions]]:
    """(log10 Omega, peak temperature, dimensions per boundary), metal cells masked out."""
    log10_omega, masked_peak, boundaries = lesion_boundaries_batch(
        protocol, geometry, omega[None], peak[None]
    )
    return log10_omega[0], masked_peak[0], boundaries[0]


def lesion_boundaries_batch(
    protocol: LesionProtocol, geometry: CannulaGeometry, omega: FloatArray, peak: FloatArray
) -> tuple[FloatArray, FloatArray, list[dict[str, LesionDimensions]]]:
    """:func:`lesion_boundaries` of a batch (axis 0) sharing cannula and tissue.

    ``protocol`` gives what the batch shares (the tissue's starting temperature, the
    tip length); every lesion's dimensions equal its own measurement (elementwise
    work, :func:`rhizo.physics.lesion.measure_batch`), in one pass for all lesions.
    """
    tissue_cells = geometry.tissue
    omega = np.where(tissue_cells, omega, 0.0)
    with np.errstate(divide="ignore"):
        log10_omega = np.where(omega > 0, np.log10(np.maximum(omega, 1e-300)), -300.0)
    peak = np.where(tissue_cells, peak, protocol.tissue.initial_temperature_c)
    per_boundary = {
        name: measure_batch(
            boundary=name,
            grid=geometry.grid,
            fields=field_values,
            threshold=threshold,
            metal=geometry.metal,
            tip_length_m=protocol.electrode.tip_length_m,
        )
        for name, (field_values, threshold) in boundary_fields(log10_omega, peak).items()
    }
    boundaries = [
        {name: dimensions[lesion] for name, dimensions in per_boundary.items()}
        for lesion in range(omega.shape[0])
    ]
    return log10_omega, peak, boundaries
