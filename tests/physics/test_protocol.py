"""Input validation of the protocol: clear errors naming the field and what is allowed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rhizo.physics import TISSUES, LesionProtocol, Tissue, get_tissue


def test_unknown_gauge_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="allowed: 16, 18, 20, 22") as raised:
        LesionProtocol(gauge=19)
    assert raised.value.errors()[0]["loc"] == ("gauge",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tip_length_mm", 1.9),
        ("tip_length_mm", 20.1),
        ("set_temperature_c", 36.9),
        ("set_temperature_c", 95.1),
        ("duration_s", 0.5),
        ("duration_s", 601.0),
    ],
)
def test_out_of_range_values_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        LesionProtocol.model_validate({field: value})


def test_boundaries_of_the_ranges_are_accepted() -> None:
    LesionProtocol(tip_length_mm=2.0, set_temperature_c=95.0, duration_s=600.0)
    LesionProtocol(tip_length_mm=20.0, set_temperature_c=37.0, duration_s=1.0)


def test_unknown_tissue_lists_the_catalogue() -> None:
    with pytest.raises(ValidationError, match="liver-ex-vivo"):
        LesionProtocol(tissue="brain")
    with pytest.raises(KeyError, match="allowed"):
        get_tissue("brain")


def test_every_catalogue_number_has_a_source() -> None:
    sourced_fields = {
        "electrical_conductivity_s_per_m",
        "conductivity_temperature_coefficient_per_k",
        "thermal_conductivity_w_per_m_k",
        "density_kg_per_m3",
        "specific_heat_j_per_kg_k",
    }
    for tissue in TISSUES.values():
        assert sourced_fields <= set(tissue.sources), tissue.name
        if tissue.perfusion_rate_per_s > 0:
            assert "perfusion_rate_per_s" in tissue.sources
        assert all(source.strip() for source in tissue.sources.values())
        assert set(tissue.unverified) <= set(tissue.sources)


def test_user_defined_tissue_is_accepted() -> None:
    custom = Tissue(
        name="my-gel",
        electrical_conductivity_s_per_m=0.5,
        thermal_conductivity_w_per_m_k=0.6,
        density_kg_per_m3=1000.0,
        specific_heat_j_per_kg_k=4180.0,
        initial_temperature_c=22.0,
    )
    protocol = LesionProtocol(tissue=custom)
    assert protocol.tissue.name == "my-gel"
    assert custom.electrical_conductivity(37.0) == pytest.approx(0.5)
