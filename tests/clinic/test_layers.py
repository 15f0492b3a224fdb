"""The clinic's import contracts exist, run and hold, and would catch a breach.

``scripts/test.sh`` runs ``lint-imports`` over the same configuration; these
tests fail when a contract is deleted or weakened, and show the contracts are
not vacuous by adding a forbidden import to the real graph and watching the
contract break.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

import rhizo.clinic.models  # noqa: F401 - every domain's tables in the metadata
from rhizo.clinic.core.database import Base
from rhizo.clinic.patient.dated import EVENT_DATE
from rhizo.clinic.patient.records import dated_columns

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CORE_CONTRACT = "Clinic core: rhizo.clinic.core imports no clinic domain, no api, web or models"
DOMAIN_CONTRACT = (
    "Clinic domains: each folder imports only the layers below it (docs/architecture.md)"
)

#: What the core must never import (issue 13): every domain, the app assembly, the pages,
#: the exports, the outcomes and the models aggregate.
NOT_FOR_CORE = (
    "intake",
    "tasks",
    "schedule",
    "api",
    "web",
    "models",
    "migrations",
    "fhir",
    "research",
    "demo",
    "outcomes",
    "chart",
    "specialist",
    "followup",
    "complication",
    "discharge",
    "procedure",
    "plan",
    "block",
    "condition",
    "medication",
    "allergy",
    "patient",
)


_TYPES: dict[str, type[Contract]] = {"forbidden": ForbiddenContract, "layers": LayersContract}


def _options(name: str) -> dict[str, Any]:
    for contract in read_configuration(str(PYPROJECT))["contracts_options"]:
        if contract["name"] == name:
            return dict(contract)
    raise AssertionError(f"no contract named {name!r} in {PYPROJECT}")


def _contract(name: str) -> Contract:
    configuration = read_configuration(str(PYPROJECT))
    options = _options(name)
    kind = _TYPES[options.pop("type")]
    options.pop("name")
    return kind(name, configuration["session_options"], options)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("rhizo", cache_dir=None)


@pytest.mark.parametrize("name", [CORE_CONTRACT, DOMAIN_CONTRACT])
def test_the_contract_is_kept(graph: grimp.ImportGraph, name: str) -> None:
    check = _contract(name).check(copy.deepcopy(graph), verbose=False)
    assert check.kept, check.metadata


def test_the_core_contract_forbids_every_clinic_sibling(graph: grimp.ImportGraph) -> None:
    options = _options(CORE_CONTRACT)
    assert options["type"] == "forbidden"
    assert options["source_modules"] == ["rhizo.clinic.core"]
    assert options["forbidden_modules"] == ["rhizo.clinic.*"]
    children = {m.split(".")[2] for m in graph.modules if m.startswith("rhizo.clinic.")}
    present = set(NOT_FOR_CORE) & children
    assert present >= set(NOT_FOR_CORE) - {"outcomes", "chart"}
    assert children - present == {"core"} | ({"analytics"} & children)


def test_the_domain_contract_places_every_clinic_folder() -> None:
    options = _options(DOMAIN_CONTRACT)
    assert options["type"] == "layers"
    assert options["containers"] == ["rhizo.clinic"]
    assert options["exhaustive"] in (True, "true", "True")
    layers = options["layers"]
    assert layers[0] == "web"
    assert layers[-1] == "core"
    assert layers.index("patient | specialist") > layers.index("procedure")


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("rhizo.clinic.core.deps", "rhizo.clinic.patient.service", CORE_CONTRACT),
        ("rhizo.clinic.core.auth.views", "rhizo.clinic.models", CORE_CONTRACT),
        ("rhizo.clinic.patient.service", "rhizo.clinic.procedure.models", DOMAIN_CONTRACT),
        ("rhizo.clinic.block.service", "rhizo.clinic.condition.models", DOMAIN_CONTRACT),
    ],
)
def test_a_forbidden_import_breaks_the_contract(
    graph: grimp.ImportGraph, importer: str, imported: str, contract: str
) -> None:
    breached = copy.deepcopy(graph)
    breached.add_import(importer=importer, imported=imported)
    assert not _contract(contract).check(breached, verbose=False).kept


def test_the_birth_date_check_reads_every_event_date_of_a_record() -> None:
    """The marked columns are the event dates of the record as listed by hand before the
    move (``rhizo.clinic.records._DATED``, commit deabbff): nothing lost, nothing added."""
    found = {(column.table.name, column.name): label for label, column in dated_columns()}
    assert found == {
        ("conditions", "onset_date"): "condition onset",
        ("care_trials", "start_date"): "conservative care",
        ("diagnostic_blocks", "performed_on"): "diagnostic block",
        ("medications", "started_on"): "medication start",
        ("allergies", "recorded_on"): "allergy record",
        ("plans", "planned_date"): "plan",
        ("procedures", "performed_at"): "procedure",
        ("followups", "followed_on"): "follow-up",
        ("complications", "onset_date"): "complication",
    }
    for _, column in dated_columns():
        assert "patient_id" in column.table.c, column.table.name
    marked = [c for t in Base.metadata.tables.values() for c in t.columns if EVENT_DATE in c.info]
    assert len(marked) == len(found)
