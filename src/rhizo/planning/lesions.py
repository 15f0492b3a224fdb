"""The lesion as the planner sees it: a radius profile along the cannula, cached.

Cannula frame (SI, metres): z along the cannula axis pointing distally, z = 0 at
the metal's distal end, the active tip spanning ``-L <= z <= 0``; r the distance
from the axis. The lesion (Arrhenius Omega >= 1 by default) is the solid of
revolution ``r <= R(z)`` of the engine's per-row radius profile (homogeneous
tissue, symmetric about the shaft; bone is not modelled), computed in the
protocol's tissue with that tissue's damage model: the planner's protocols use
:data:`rhizo.physics.CLINICAL_TISSUE` (perfused muscle at 37 C). Between grid rows R is
linearly interpolated; outside the profile R = 0 (no lesion).

The planner's tissue is explicit: :func:`planner_protocol` builds the protocol in
``tissue`` (default :data:`rhizo.physics.CLINICAL_TISSUE`), and every profile carries
its tissue's name and lesion-edge definition so that each capture result can say
what "inside the lesion" meant.

Lesion uncertainty (:data:`LESION_RADIUS_CV`): the Monte Carlo scales R(z) per
sample by a log-normal factor of median 1 and coefficient of variation
``LESION_RADIUS_CV``, the spread of repeated lesions at one setting measured by the
Tew-electrode study (Pain Res Manag 2015;20(6):316-20, abstract, the project's
``tew2015_radial`` row of src/rhizo/physics/tissues/published_lesions.csv):
internal radius 1.06 +/- 0.16 mm beyond the metal of a 22 G-sized electrode,
i.e. SD 0.16 mm over a radius from the axis of 1.06 + 0.359 mm = 11.3 %. It is a
floor (one homogeneous medium, repeated lesions); patient-to-patient tissue
variation would add to it.

One lesion per cannula setting: :func:`lesion_for` caches profiles by
``protocol.model_dump_json()`` (the protocol holds dicts, so it is not hashable).
A setting inside an already built surrogate table (:mod:`rhizo.physics.surrogate`;
``rhizo lesion-table build``) is interpolated there (microseconds) instead of
simulated (a fraction of a second); ``LesionProfile.source`` and ``provenance`` say
which, and why the solver ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from rhizo.physics import (
    CLINICAL_TISSUE,
    GAUGE_OUTER_DIAMETER_MM,
    LesionDimensions,
    LesionProtocol,
    get_tissue,
)

if TYPE_CHECKING:
    # The engine, its batch and the lesion tables pull in SciPy (about 0.9 s of
    # CPU): imported where a lesion is computed, not by readers of stored ones.
    from rhizo.physics.surrogate import LesionAnswer
    from rhizo.physics.surrogate_cache import LesionTables

FloatArray = NDArray[np.float64]

#: Tew 2015 (abstract): internal radius 1.06 +/- 0.16 mm beyond the metal, 22 G-sized.
TEW2015_RADIUS_BEYOND_METAL_MM = (1.06, 0.16)
#: Coefficient of variation of the lesion radius from the axis (SD / mean), Tew 2015.
LESION_RADIUS_CV = TEW2015_RADIUS_BEYOND_METAL_MM[1] / (
    TEW2015_RADIUS_BEYOND_METAL_MM[0] + GAUGE_OUTER_DIAMETER_MM[22] / 2
)


def planner_protocol(
    *,
    gauge: int,
    tip_length_mm: float,
    set_temperature_c: float,
    duration_s: float,
    tissue: str = CLINICAL_TISSUE,
) -> LesionProtocol:
    """The lesion engine's protocol for a cannula setting in the planner's ``tissue``.

    Raises ``KeyError`` naming the allowed tissues for an unknown one.
    """
    get_tissue(tissue)
    return LesionProtocol(
        tissue=tissue,
        gauge=gauge,
        tip_length_mm=tip_length_mm,
        set_temperature_c=set_temperature_c,
        duration_s=duration_s,
    )


def radius_scales(cv: float, samples: int, rng: np.random.Generator) -> FloatArray:
    """Per-sample factors on R(z): log-normal, median 1, coefficient of variation ``cv``.

    ``ln s ~ N(0, sigma^2)`` with ``sigma^2 = ln(1 + cv^2)`` (so SD/mean of s is ``cv``).
    ``cv = 0`` gives ones without drawing (the random stream is untouched).
    """
    if cv < 0 or not np.isfinite(cv):
        raise ValueError(f"radius_cv {cv!r}: allowed a finite number >= 0")
    if cv == 0:
        return np.ones(samples)
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    return np.asarray(np.exp(sigma * rng.standard_normal(samples)), dtype=np.float64)


@dataclass(frozen=True)
class LesionProfile:
    """Outer lesion radius R(z) along the cannula (metres) plus the tip it came from."""

    z_m: FloatArray
    radius_m: FloatArray
    tip_length_m: float
    dimensions: LesionDimensions | None = None
    #: "surrogate" (interpolated in a lesion table) or "solver" (the engine ran).
    source: str = "solver"
    #: One line: "from the surrogate table (max held-out error X %)" or "solved (why)".
    provenance: str = "solved"
    #: The tissue the lesion was computed in ("" for a synthetic profile).
    tissue: str = ""
    #: The lesion boundary ("arrhenius": Omega >= 1) and the tissue's definition of it.
    boundary: str = "arrhenius"
    boundary_definition: str = ""
    #: Outer radius of the cannula's metal (m): the tip-depth contact model uses it.
    cannula_radius_m: float = 0.0

    def radius_at(self, z_m: FloatArray) -> FloatArray:
        """R(z) in metres, linear between rows, 0 outside the profile."""
        return np.interp(z_m, self.z_m, self.radius_m, left=0.0, right=0.0)

    def describe(self) -> dict[str, str]:
        """Tissue, boundary and its definition, for every capture result (JSON-ready)."""
        return {
            "tissue": self.tissue or "synthetic profile",
            "boundary": self.boundary,
            "boundary_definition": self.boundary_definition or "synthetic radius profile",
        }

    @classmethod
    def cylinder(
        cls,
        *,
        radius_mm: float,
        tip_length_mm: float,
        distal_mm: float = 0.0,
        proximal_mm: float = 0.0,
        cannula_radius_mm: float = 0.0,
    ) -> LesionProfile:
        """A synthetic cylinder of ``radius_mm`` from ``-tip-proximal`` to ``+distal`` (tests)."""
        start = -(tip_length_mm + proximal_mm) * 1e-3
        end = distal_mm * 1e-3
        eps = 1e-12
        z = np.array([start - eps, start, end, end + eps])
        radius = np.array([0.0, radius_mm, radius_mm, 0.0]) * 1e-3
        return cls(
            z_m=z,
            radius_m=radius,
            tip_length_m=tip_length_mm * 1e-3,
            cannula_radius_m=cannula_radius_mm * 1e-3,
        )

    @classmethod
    def ellipsoid(
        cls,
        *,
        radius_mm: float,
        half_length_mm: float,
        tip_length_mm: float,
        rows: int = 2001,
        cannula_radius_mm: float = 0.0,
    ) -> LesionProfile:
        """A synthetic prolate ellipsoid centred on the active tip's midpoint (tests)."""
        centre = -tip_length_mm / 2
        z_mm = np.linspace(centre - half_length_mm, centre + half_length_mm, rows)
        inside = np.clip(1.0 - ((z_mm - centre) / half_length_mm) ** 2, 0.0, None)
        return cls(
            z_m=z_mm * 1e-3,
            radius_m=radius_mm * np.sqrt(inside) * 1e-3,
            tip_length_m=tip_length_mm * 1e-3,
            cannula_radius_m=cannula_radius_mm * 1e-3,
        )


_CACHE: dict[str, LesionProfile] = {}


def _key(protocol: LesionProtocol, boundary: str) -> str:
    return f"{boundary}:{protocol.model_dump_json()}"


def lesion_for(
    protocol: LesionProtocol,
    *,
    boundary: str = "arrhenius",
    simulator: Callable[[LesionProtocol], object] | None = None,
    tables: LesionTables | None = None,
) -> LesionProfile:
    """The lesion profile of ``protocol``, from a built surrogate table or simulated; cached.

    ``tables`` (default :func:`rhizo.physics.surrogate_cache.default_tables`) is asked
    for an already built table only (never built here: that takes a minute); outside
    it the engine runs. ``simulator`` replaces :func:`rhizo.physics.simulate` and
    skips the tables (tests count calls).
    """
    key = _key(protocol, boundary)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    if simulator is not None:
        profile = profile_from_result(protocol, simulator(protocol), boundary)
    else:
        from rhizo.physics import simulate
        from rhizo.physics.surrogate import solver_answer
        from rhizo.physics.surrogate_cache import default_tables

        found = (tables or default_tables()).lookup(protocol, build=False)
        if isinstance(found, str):
            found = solver_answer(simulate(protocol), reason=found)
        profile = _from_answer(found, boundary)
    _CACHE[key] = profile
    return profile


def _tissue_fields(protocol: LesionProtocol, boundary: str) -> dict[str, object]:
    tissue = protocol.tissue
    definition = tissue.lesion_boundary_definition if boundary == "arrhenius" else boundary
    return {
        "tissue": tissue.name,
        "boundary": boundary,
        "boundary_definition": definition,
        "cannula_radius_m": GAUGE_OUTER_DIAMETER_MM[protocol.gauge] * 0.5e-3,
    }


def _from_answer(answer: LesionAnswer, boundary: str) -> LesionProfile:
    z_m, radius_m = answer.profiles_m[boundary]
    return LesionProfile(
        **_tissue_fields(answer.protocol, boundary),  # type: ignore[arg-type]
        z_m=np.asarray(z_m, dtype=np.float64),
        radius_m=np.asarray(radius_m, dtype=np.float64),
        tip_length_m=answer.protocol.tip_length_mm * 1e-3,
        dimensions=answer.boundaries[boundary],
        source=answer.source,
        provenance=answer.label,
    )


def profile_from_result(
    protocol: LesionProtocol, result: object, boundary: str = "arrhenius"
) -> LesionProfile:
    """The planner's profile of an engine result (a ``LesionResult`` of ``protocol``).

    Uncached: the caller ran the engine (e.g. a sweep's batch, :mod:`rhizo.sweep.evaluate`).
    """
    z_m, radius_m = result.radius_profile_m(boundary)  # type: ignore[attr-defined]
    return LesionProfile(
        **_tissue_fields(protocol, boundary),  # type: ignore[arg-type]
        z_m=np.asarray(z_m, dtype=np.float64),
        radius_m=np.asarray(radius_m, dtype=np.float64),
        tip_length_m=protocol.tip_length_mm * 1e-3,
        dimensions=result.boundaries[boundary],  # type: ignore[attr-defined]
    )


def prefetch_lesions(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    boundary: str = "arrhenius",
    progress: Callable[[int, int], None] | None = None,
    tables: LesionTables | None = None,
) -> int:
    """Simulate every uncached protocol at once with the batched engine; returns how many.

    Protocols inside an already built surrogate table are interpolated instead (not
    counted). :func:`rhizo.physics.batch.simulate_sweep` groups the rest by cannula
    and runs each group in lock step on ``backend`` ("numpy" or "cupy" for a CUDA
    GPU); afterwards :func:`lesion_for` finds them in the cache. The batched lesions
    equal the single engine's (tests/physics/test_batch.py).
    """
    from rhizo.physics.batch import simulate_sweep
    from rhizo.physics.surrogate import LesionAnswer, solver_answer
    from rhizo.physics.surrogate_cache import default_tables

    missing: dict[str, tuple[LesionProtocol, str]] = {}
    manager = tables or default_tables()
    for protocol in protocols:
        key = _key(protocol, boundary)
        if key in _CACHE or key in missing:
            continue
        found = manager.lookup(protocol, build=False)
        if isinstance(found, LesionAnswer):
            _CACHE[key] = _from_answer(found, boundary)
        else:
            missing[key] = (protocol, found)
    if not missing:
        return 0
    results = simulate_sweep(
        [protocol for protocol, _ in missing.values()], backend=backend, progress=progress
    )
    for (key, (_, reason)), result in zip(missing.items(), results, strict=True):
        _CACHE[key] = _from_answer(solver_answer(result, reason=reason), boundary)
    return len(missing)


def clear_cache() -> None:
    """Forget every cached lesion (tests)."""
    _CACHE.clear()
