"""Catalogue thermal properties equal the values their cited sources give.

The reference values are typed in here from the sources (not read from the code), so
a changed number in the catalogue fails unless its source changes with it:
- IT'IS Foundation tissue properties database v4 (Hasgall et al.): muscle
  rho 1090 kg/m^3, c 3421 J/(kg K), k 0.49 W/(m K); fat rho 911, c 2348, k 0.21
  (read in third-party scripts that tabulate the database; docs/physics.md);
- COMSOL Application Gallery 'Tumor Ablation' (after Tungjitkusolmun 2002), liver:
  rho 1079, c 3540, k 0.52 (read in source);
- Coimbra JSR et al., J Food Eng 2006;74:186-90, egg white near 20-30 C:
  rho ~1035, c ~3800, k ~0.55 (approximate, hence 5 %).
"""

from __future__ import annotations

import pytest

from rhizo.physics import TISSUES

FIELDS = ("thermal_conductivity_w_per_m_k", "density_kg_per_m3", "specific_heat_j_per_kg_k")
# (text the source string starts with or contains, values in FIELDS order, relative tolerance)
REFERENCES: tuple[tuple[str, tuple[float, float, float], float], ...] = (
    (
        "IT'IS Foundation tissue properties database v4 (Hasgall et al.), muscle",
        (0.49, 1090.0, 3421.0),
        1e-9,
    ),
    ("IT'IS Foundation database v4, fat", (0.21, 911.0, 2348.0), 1e-9),
    ("COMSOL Application Gallery 'Tumor Ablation'", (0.52, 1079.0, 3540.0), 1e-9),
    ("Coimbra JSR", (0.55, 1035.0, 3800.0), 0.05),
)


def test_thermal_properties_match_their_cited_sources() -> None:
    checked = 0
    for name, tissue in TISSUES.items():
        for index, field in enumerate(FIELDS):
            source = tissue.sources.get(field, "")
            assert source, f"{name}.{field} has no source"
            for key, values, tolerance in REFERENCES:
                if key in source:
                    assert getattr(tissue, field) == pytest.approx(values[index], rel=tolerance), (
                        f"{name}.{field}"
                    )
                    checked += 1
    # The bench and clinical tissues (chicken, muscle, liver, egg) are all covered.
    assert checked >= 15
