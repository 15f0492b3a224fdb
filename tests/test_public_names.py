"""One name, one meaning: no two public classes in rhizo share a name.

The test imports every module of the package (``pkgutil.walk_packages``),
collects the public names each module binds to a class defined in rhizo
(its own definitions, re-exports and aliases; the name has no leading
underscore) and fails on any name bound to two different classes. A
re-export (``from rhizo.x import Name`` in a package ``__init__``) is the
same object and is counted once; classes that pydantic or SQLAlchemy
generate at runtime are not module attributes and are not counted; an
alias (``Patient = CandidacyInput``) is counted, since it gives the name a
second meaning.

A name defined twice almost always means two different things to a reader
(``Patient`` the ORM row vs. ``Patient`` the candidacy input); where the two
really are one idea, one module must import the other's class instead.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict
from types import ModuleType

import pytest

import rhizo

# Modules that cannot be imported outside their runner.
SKIPPED_MODULES = frozenset(
    {
        # Alembic's env.py reads ``alembic.context.config`` at import time.
        "rhizo.clinic.migrations.env",
    }
)


def _modules() -> list[ModuleType]:
    modules: list[ModuleType] = [rhizo]
    for info in pkgutil.walk_packages(rhizo.__path__, prefix="rhizo."):
        if info.name in SKIPPED_MODULES:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def public_class_bindings(module: ModuleType) -> dict[str, type]:
    """The rhizo classes ``module`` exposes under a public name, by that name.

    Every public module attribute bound to a class defined in rhizo counts:
    the class's own definition (``cls.__module__`` is this module), a
    re-export (``from rhizo.x import Name``, the same object as the
    definition, so it never clashes with it) and an alias
    (``Patient = CandidacyInput``, which gives the alias name a second
    meaning and so must clash). Third-party classes are not rhizo's names.
    """
    return {
        name: obj
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and inspect.isclass(obj)
        and obj.__module__.split(".")[0] == "rhizo"
    }


def name_clashes(modules: list[ModuleType]) -> dict[str, list[str]]:
    """Each public name bound to two different classes -> their ``module.qualname``.

    Distinct classes are told apart by identity, so a class re-exported by
    several packages is one class; classes pydantic or SQLAlchemy build at
    runtime are not module attributes and never enter.
    """
    where: dict[str, dict[int, str]] = defaultdict(dict)
    for module in modules:
        for name, cls in public_class_bindings(module).items():
            where[name][id(cls)] = f"{cls.__module__}.{cls.__qualname__}"
    return {
        name: sorted(places.values()) for name, places in sorted(where.items()) if len(places) > 1
    }


def test_walk_finds_the_package() -> None:
    """The walk really reaches every layer (else an empty walk would pass)."""
    names = {module.__name__ for module in _modules()}
    for layer in (
        "rhizo.cli",
        "rhizo.clinic",
        "rhizo.plots",
        "rhizo.planning",
        "rhizo.physics",
        "rhizo.pathway",
        "rhizo.stats",
    ):
        assert layer in names
    assert len(names) > 100


def test_clash_detector_sees_a_clash() -> None:
    """Two modules defining the same name are reported; a re-export is not."""

    def module_with(module_name: str, **attrs: object) -> ModuleType:
        module = ModuleType(module_name)
        for name, value in attrs.items():
            setattr(module, name, value)
        return module

    first = type("Thing", (), {"__module__": "rhizo.fake.first"})
    second = type("Thing", (), {"__module__": "rhizo.fake.second"})
    other = type("Other", (), {"__module__": "rhizo.fake.other"})
    foreign = type("Thing", (), {"__module__": "numpy"})
    definitions = [
        module_with("rhizo.fake.first", Thing=first),
        module_with("rhizo.fake.second", Thing=second),
    ]
    assert name_clashes(definitions) == {
        "Thing": ["rhizo.fake.first.Thing", "rhizo.fake.second.Thing"]
    }
    # A package re-exporting rhizo.fake.first.Thing: same object, no clash;
    # nor a third-party class of the same name, nor a private alias.
    reexport = module_with("rhizo.fake", Thing=first, _Thing=second)
    outside = module_with("rhizo.fake.third", Thing=foreign)
    assert name_clashes([definitions[0], reexport, outside]) == {}
    # An alias gives its name a second meaning: a clash.
    alias = module_with("rhizo.fake.alias", Thing=other)
    assert name_clashes([definitions[0], alias]) == {
        "Thing": ["rhizo.fake.first.Thing", "rhizo.fake.other.Other"]
    }


def test_no_public_class_name_is_defined_twice() -> None:
    clashes = name_clashes(_modules())
    if clashes:
        lines = [f"{name}: {' vs '.join(places)}" for name, places in clashes.items()]
        pytest.fail(
            "public class names defined in more than one rhizo module "
            "(rename one, or import the other's class if they mean the same):\n" + "\n".join(lines)
        )
