"""Physics mutations for the kill study (scripts/mutate_physics.py), applied in memory.

Each mutation changes one piece of the lesion physics at import time by
monkeypatching, never by editing a source file (others edit them). Used two ways:

- as a pytest plugin: ``PYTHONPATH=scripts RHIZO_PHYSICS_MUTANT=<name> pytest -p
  physics_mutants tests/physics``; the mutation is applied in ``pytest_configure``,
  before any test module is imported, and a JSON record of what was patched is
  written to ``$RHIZO_MUTANT_RECORD``;
- as a library: :func:`apply` returns the patched sites.

Every mutation fails loudly (:class:`MutationError`) if the hook it patches is gone
or patches nothing, so a refactor cannot turn the study into a silent no-op. The
hooks are the names the engine keeps stable: ``Tissue.electrical_conductivity``,
the catalogue ``TISSUES``, damage models' ``log_rate``, ``THERMOCOUPLE_SPAN_M``,
``SIGMA_RESOLVE_TOLERANCE``, ``fv.face_power`` and the ``GridSettings`` defaults.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable
from typing import Any

ENV_MUTANT = "RHIZO_PHYSICS_MUTANT"
ENV_RECORD = "RHIZO_MUTANT_RECORD"


class MutationError(RuntimeError):
    """A mutation could not find its hook or changed nothing."""


def _physics_modules() -> list[Any]:
    """Every module of rhizo.physics, imported (so later imports see the patches)."""
    import rhizo.physics as package

    modules = [package]
    for info in pkgutil.iter_modules(package.__path__, prefix="rhizo.physics."):
        try:
            modules.append(importlib.import_module(info.name))
        except ImportError:  # an optional backend (CuPy) missing
            continue
    return modules


def _replace_everywhere(name: str, value: object, *, owner: str) -> list[str]:
    """Set ``name`` to ``value`` in every physics module that defines it."""
    sites = []
    modules = _physics_modules()
    if not any(m.__name__ == owner and hasattr(m, name) for m in modules):
        raise MutationError(f"hook {owner}.{name} is missing: the kill study would test nothing")
    for module in modules:
        if hasattr(module, name):
            setattr(module, name, value)
            sites.append(f"{module.__name__}.{name}")
    return sites


def _replace_function(owner: str, name: str, make: Callable[[Any], Any]) -> list[str]:
    """Replace a function and every module-level alias of that same object."""
    modules = _physics_modules()
    home = sys.modules.get(owner)
    original = getattr(home, name, None) if home else None
    if original is None:
        raise MutationError(f"hook {owner}.{name} is missing: the kill study would test nothing")
    mutant = make(original)
    sites = []
    for module in modules:
        for attribute, value in list(vars(module).items()):
            if value is original:
                setattr(module, attribute, mutant)
                sites.append(f"{module.__name__}.{attribute}")
    return sites


def _mutate_catalogue(update: Callable[[Any], dict[str, float]]) -> list[str]:
    """Replace every catalogue tissue by a copy with ``update(tissue)`` applied."""
    from rhizo.physics import tissue as tissue_module

    catalogue = getattr(tissue_module, "TISSUES", None)
    if not catalogue:
        raise MutationError("hook rhizo.physics.tissue.TISSUES is missing or empty")
    sites = []
    for name, tissue in list(catalogue.items()):
        changes = update(tissue)
        for field in changes:
            if field not in type(tissue).model_fields:
                raise MutationError(f"tissue field {field!r} is gone from {type(tissue).__name__}")
        catalogue[name] = tissue.model_copy(update=changes)
        sites.append(f"TISSUES[{name!r}]: " + ", ".join(sorted(changes)))
    return sites


def sigma_slope_zero_in_data() -> list[str]:
    """sigma(T) slope = 0 in the tissue data: every catalogue tissue's coefficient is 0."""
    return _mutate_catalogue(lambda _: {"conductivity_temperature_coefficient_per_k": 0.0})


def sigma_slope_zero_in_code() -> list[str]:
    """Tissue.electrical_conductivity returns sigma_ref whatever the temperature."""
    from rhizo.physics.tissue import Tissue

    if not callable(getattr(Tissue, "electrical_conductivity", None)):
        raise MutationError("hook Tissue.electrical_conductivity is missing")

    def constant(self: Any, temperature_c: Any) -> Any:
        # Same array type and shape as the input (NumPy or CuPy), every value sigma_ref.
        return temperature_c * 0.0 + float(self.electrical_conductivity_s_per_m)

    type.__setattr__(Tissue, "electrical_conductivity", constant)
    return ["rhizo.physics.tissue.Tissue.electrical_conductivity"]


def potential_never_resolved() -> list[str]:
    """The potential is solved once: SIGMA_RESOLVE_TOLERANCE = 1e9."""
    return _replace_everywhere("SIGMA_RESOLVE_TOLERANCE", 1e9, owner="rhizo.physics.engine")


def activation_energy_plus_2_percent() -> list[str]:
    """Every damage model's activation energy +2 % (through its log_rate)."""
    from rhizo.physics import damage

    sites = []
    for name, cls in list(vars(damage).items()):
        if not (isinstance(cls, type) and callable(getattr(cls, "log_rate", None))):
            continue
        fields = [f for f in getattr(cls, "model_fields", {}) if "activation_energy" in f]
        if not fields:
            continue
        original = cls.__dict__.get("log_rate")
        if original is None:  # inherited: the base class is patched on its own
            continue

        def mutant(self: Any, temperature_c: Any, _original: Any = original) -> Any:
            raised = {
                f: getattr(self, f) * 1.02
                for f in type(self).model_fields
                if "activation_energy" in f
            }
            return _original(self.model_copy(update=raised), temperature_c)

        type.__setattr__(cls, "log_rate", mutant)
        sites.append(f"rhizo.physics.damage.{name}.log_rate ({', '.join(fields)} x1.02)")
    if not sites:
        raise MutationError("no damage model with an activation energy and a log_rate was found")
    return sites


def joule_heat_to_one_cell() -> list[str]:
    """fv.face_power gives each face's Joule heat to its lower-index cell (total conserved)."""

    def make(_original: Any) -> Any:
        def one_sided(conductances: Any, electrode: Any, potential: Any) -> Any:
            v = potential
            power = electrode * (1.0 - v) ** 2
            power[..., :-1, :] += conductances.radial * (v[..., 1:, :] - v[..., :-1, :]) ** 2
            power[..., :, :-1] += conductances.axial * (v[..., :, 1:] - v[..., :, :-1]) ** 2
            return power

        return one_sided

    return _replace_function("rhizo.physics.fv", "face_power", make)


def tissue_conductivity_x1_3() -> list[str]:
    """Every catalogue tissue's thermal conductivity k x 1.3."""
    return _mutate_catalogue(
        lambda t: {"thermal_conductivity_w_per_m_k": t.thermal_conductivity_w_per_m_k * 1.3}
    )


def tissue_heat_capacity_x0_7() -> list[str]:
    """Every catalogue tissue's rho c x 0.7 (density x 0.7)."""
    return _mutate_catalogue(lambda t: {"density_kg_per_m3": t.density_kg_per_m3 * 0.7})


def thermocouple_over_whole_tip() -> list[str]:
    """The thermocouple averages the whole active tip: THERMOCOUPLE_SPAN_M = 1 m."""
    return _replace_everywhere("THERMOCOUPLE_SPAN_M", 1.0, owner="rhizo.physics.engine")


def grid_twice_coarser() -> list[str]:
    """GridSettings defaults: radial and axial cells x 2 (time step unchanged)."""
    from rhizo.physics import grid as grid_module

    settings = getattr(grid_module, "GridSettings", None)
    if settings is None:
        raise MutationError("hook rhizo.physics.grid.GridSettings is missing")
    sites = []
    for field in ("radial_cell_mm", "axial_cell_mm"):
        info = settings.model_fields.get(field)
        if info is None:
            raise MutationError(f"GridSettings.{field} is gone")
        info.default = info.default * 2.0
        sites.append(f"GridSettings.{field} default -> {info.default}")
    settings.model_rebuild(force=True)
    coarse = settings()
    # Models holding a GridSettings() default instance get the coarse one.
    for module in _physics_modules():
        for value in list(vars(module).values()):
            fields = getattr(value, "model_fields", None) if isinstance(value, type) else None
            if not fields or value is settings:
                continue
            changed = False
            for field_name, info in fields.items():
                if isinstance(info.default, settings):
                    info.default = coarse
                    changed = True
                    sites.append(f"{value.__name__}.{field_name} default -> coarse grid")
            if changed:
                value.model_rebuild(force=True)
    if settings().radial_cell_mm != coarse.radial_cell_mm:
        raise MutationError("GridSettings() did not pick up the coarse default")
    return sites


MUTATIONS: dict[str, Callable[[], list[str]]] = {
    "sigma_slope_zero_data": sigma_slope_zero_in_data,
    "sigma_slope_zero_code": sigma_slope_zero_in_code,
    "potential_never_resolved": potential_never_resolved,
    "activation_energy_plus_2pct": activation_energy_plus_2_percent,
    "joule_heat_one_cell": joule_heat_to_one_cell,
    "tissue_k_x1.3": tissue_conductivity_x1_3,
    "tissue_rho_c_x0.7": tissue_heat_capacity_x0_7,
    "thermocouple_whole_tip": thermocouple_over_whole_tip,
    "grid_2x_coarser": grid_twice_coarser,
}


def apply(name: str) -> list[str]:
    """Apply one mutation by name; returns the patched sites (never empty)."""
    if name not in MUTATIONS:
        raise MutationError(f"unknown mutation {name!r}; allowed: {', '.join(MUTATIONS)}")
    sites = MUTATIONS[name]()
    if not sites:
        raise MutationError(f"mutation {name!r} patched nothing")
    return sites


def pytest_configure(config: Any) -> None:
    """Apply ``$RHIZO_PHYSICS_MUTANT`` before collection; record what was patched."""
    name = os.environ.get(ENV_MUTANT, "")
    sites = apply(name) if name and name != "none" else []
    record = os.environ.get(ENV_RECORD)
    if record:
        with open(record, "w", encoding="utf-8") as handle:
            json.dump({"mutation": name or "none", "sites": sites}, handle)
