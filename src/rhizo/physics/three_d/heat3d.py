"""The implicit Pennes bioheat step on the 3D grid (the 2D engine's HeatStepper in 3D).

    C_P (T_P^{n+1} - H_P) / dt_eff = - sum_faces G (T_P - T_Q)^{n+1}
                                     - G_far,P (T_P - T_far)^{n+1}
                                     - W_P (T_P - T_a)^{n+1}
                                     - S_P (T_P - T_cool)^{n+1} + Q_P + E_P

C_P = rho c V_P (J/K), W_P = w_b rho_b c_b V_P (W/K), Q_P Joule heat (W), H the BDF2
history value and E the explicit perfusion correction (both from the engine). S_P
(W/K) is an internally cooled tip's coolant sink (:mod:`rhizo.physics.three_d.cooling3d`;
zero without one), implicit like perfusion, so every step matrix stays symmetric
positive definite. Every cell is an unknown (the metal conducts heat); k, rho c, W
and S are fixed, so the matrix of a step length is built once.

Speed (docs/performance.md, "3D lesion engine"): step lengths within
:data:`HIERARCHY_DT_RATIO` of one another share one AMG hierarchy (the matrices
differ only in C/dt on the diagonal; CG stays exact to its tolerance, the
preconditioner need not be), and the tip temperature's response to a step's
right-hand side comes from one adjoint solve per step length
(:meth:`HeatStepper3D.sensor_response`), so a step costs one heat solve.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.three_d.amg import SpdSolver, jacobi, preconditioner, single_blas_thread
from rhizo.physics.three_d.fv3d import Geometry3D, assemble, thermal_conductances

FloatArray = NDArray[np.float64]

#: "amg" or "jacobi" (env RHIZO_HEAT3D_PRECONDITIONER overrides, for measuring).
HEAT_PRECONDITIONER = "amg"

#: A step length reuses the AMG hierarchy of an earlier one within this factor.
#: Measured at 0.25 mm (323,733 cells): the dt_eff = 10 s hierarchy on the 1 s matrix,
#: 34 CG iterations against 21 with its own; one setup costs about 55 iterations.
HIERARCHY_DT_RATIO = 3.0


class HeatStepper3D:
    """Heat matrices per effective step length, with their CG solvers."""

    def __init__(
        self,
        geometry: Geometry3D,
        *,
        conductivity_w_per_m_k: FloatArray,
        volumetric_heat_capacity_j_per_m3_k: FloatArray,
        perfusion_w_per_m3_k: FloatArray,
        far_temperature_c: float,
        arterial_temperature_c: float,
        insulation_resistance_m2k_per_w: float,
        sink_w_per_k: FloatArray | None = None,
        coolant_temperature_c: float = 0.0,
    ) -> None:
        volume = geometry.grid.volume_m3
        self.conductances = thermal_conductances(
            geometry,
            conductivity_w_per_m_k,
            insulation_resistance_m2k_per_w=insulation_resistance_m2k_per_w,
        )
        self.heat_capacity_j_per_k = np.asarray(volumetric_heat_capacity_j_per_m3_k * volume)
        self.perfusion_w_per_k = np.asarray(perfusion_w_per_m3_k * volume)
        shape = self.heat_capacity_j_per_k.shape
        sink = np.zeros(shape) if sink_w_per_k is None else np.asarray(sink_w_per_k, dtype=float)
        if sink.shape != shape or not np.all(np.isfinite(sink)) or np.any(sink < 0):
            raise ValueError(
                f"sink_w_per_k must be finite and >= 0 with the grid's shape {shape}, "
                f"got shape {sink.shape}"
            )
        #: The coolant sink S_P (W/K) and the coolant's temperature (C).
        self.sink_w_per_k = sink
        self.coolant_temperature_c = coolant_temperature_c
        self.far_w_per_k = self.conductances.dirichlet
        self.far_temperature_c = far_temperature_c
        self.arterial_temperature_c = arterial_temperature_c
        #: The constant part of every step's right-hand side (W): far, arterial and
        #: coolant terms.
        self.fixed_w = (
            self.far_w_per_k * far_temperature_c
            + self.perfusion_w_per_k * arterial_temperature_c
            + self.sink_w_per_k * coolant_temperature_c
        )
        self._solvers: dict[float, SpdSolver] = {}
        self._hierarchies: list[tuple[float, object]] = []
        self._responses: dict[tuple[float, int], FloatArray] = {}
        self._sensors: dict[int, FloatArray] = {}

    def _precondition(self, effective_dt_s: float, matrix: object) -> object:
        """An earlier step length's AMG V-cycle within the ratio, else a new one."""
        for dt, kept in self._hierarchies:
            if max(dt, effective_dt_s) / min(dt, effective_dt_s) <= HIERARCHY_DT_RATIO:
                return kept
        made = preconditioner(matrix)  # type: ignore[arg-type]
        self._hierarchies.append((effective_dt_s, made))
        return made

    def solver(self, effective_dt_s: float) -> SpdSolver:
        """The CG solver of the step matrix (C/dt + W + S + conduction) for a step length."""
        key = round(effective_dt_s, 12)
        if key not in self._solvers:
            matrix = assemble(
                self.conductances,
                self.heat_capacity_j_per_k / effective_dt_s
                + self.perfusion_w_per_k
                + self.sink_w_per_k,
            )
            single_blas_thread()
            if os.environ.get("RHIZO_HEAT3D_PRECONDITIONER", HEAT_PRECONDITIONER) == "jacobi":
                self._solvers[key] = SpdSolver(matrix, precondition=jacobi(matrix))
            else:
                self._solvers[key] = SpdSolver(
                    matrix, precondition=self._precondition(effective_dt_s, matrix)
                )
        return self._solvers[key]

    def sensor_response(
        self, effective_dt_s: float, weights: FloatArray, sensor: int = 0
    ) -> FloatArray:
        """y = A^{-1} w for the step matrix A of a step length (kept per length and sensor).

        A is symmetric, so the sensor reading w . T of the step's solution
        T = A^{-1} b is y . b for any right-hand side b: the generator finds the tip
        temperature's base and its gain per V^2 as y . rhs and y . q, and the step
        then needs one solve, A T = rhs + V^2 q. ``weights`` must be the same vector
        on every call with the same ``sensor`` number (one per thermocouple).
        """
        flat = np.asarray(weights, dtype=np.float64).ravel()
        kept = self._sensors.setdefault(sensor, flat.copy())
        if flat.shape != kept.shape or not np.array_equal(flat, kept):
            raise ValueError(f"sensor_response: sensor {sensor}'s weights changed between calls")
        key = (round(effective_dt_s, 12), sensor)
        if key not in self._responses:
            # Start from this sensor's last response (a nearby matrix).
            earlier = [y for (_, k), y in self._responses.items() if k == sensor]
            guess = earlier[-1] if earlier else None
            self._responses[key] = self.solver(effective_dt_s).solve(flat, guess)
        return self._responses[key]

    def sink_power_w(self, temperature_c: FloatArray) -> float:
        """Heat carried away by the coolant now (W): sum_P S_P (T_P - T_cool)."""
        return float(np.sum(self.sink_w_per_k * (temperature_c - self.coolant_temperature_c)))

    @property
    def iterations(self) -> int:
        """CG iterations of all heat solves so far."""
        return sum(s.iterations for s in self._solvers.values())
