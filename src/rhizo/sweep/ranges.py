"""Published ranges of the sweep's physical inputs, each with what was read and how well.

A sweep spec may draw an input from a published range by key::

    inputs:
      tissue.perfusion_rate_per_s: {dist: published_range, key: muscle.perfusion}

and the spec model (:class:`rhizo.sweep.distributions.PublishedRange`) takes the low,
high, source and evidence level from :data:`PUBLISHED_RANGES` here. The ranges describe
perfused human skeletal (paraspinal) muscle, the planner's living tissue
(:data:`rhizo.physics.tissue.CLINICAL_TISSUE`, ``"muscle-in-vivo"``), and the accuracy
of the thermocouple that closes the generator's temperature loop.

Every entry says what was actually read (``source``), how the interval was derived
(``note``) and its evidence level (:data:`rhizo.pathway.facts.Evidence`): ``secondary``
where the numbers were read in a review, a reproduction or a third-party quote of the
source; ``recalled`` where the interval was not found in a readable source (the note
says why it is kept and what it rests on). No range here is ``primary``: the primary
texts (McIntosh & Anderson 2010; the IT'IS database tables; IEC 60584-1; the generator
manuals' specification pages) were not readable in the stored corpora, only their
abstracts, tables of contents or third-party reproductions.

A range is the spread of the *property* in the population or across the sources, not
its change with temperature during a lesion (the engine models sigma(T) itself), and
each contains the catalogue's nominal value (tests/sweep/test_ranges.py checks it).
Ranges are not distributions: a spec chooses the shape (uniform or triangular).
"""

from __future__ import annotations

from dataclasses import dataclass

from rhizo.pathway.facts import Evidence
from rhizo.physics.tissue import perfusion_rate_from_ml_per_min_kg

__all__ = [
    "MUSCLE_DENSITY_KG_PER_M3",
    "MUSCLE_REST_PERFUSION_ML_PER_MIN_KG",
    "PUBLISHED_RANGES",
    "SourcedRange",
    "get_range",
]


@dataclass(frozen=True)
class SourcedRange:
    """One published interval of a sweepable input, in the parameter's own unit.

    ``parameter`` is the sweep's parameter name (:data:`rhizo.sweep.parameters.PARAMETERS`),
    ``low``/``high`` the interval (inclusive), ``source`` the author, year, title and
    table or page, ``evidence`` how it was read, ``note`` what was read and how the
    interval was derived. (:class:`rhizo.sweep.distributions.PublishedRange` is the spec
    model that refers to one of these by key.)
    """

    key: str
    parameter: str
    low: float
    high: float
    unit: str
    source: str
    evidence: Evidence
    note: str


#: The density the catalogue's muscle-in-vivo uses (kg/m^3), which converts perfusion
#: per tissue mass to the Pennes w_b (the same conversion as the catalogue:
#: :func:`rhizo.physics.tissue.perfusion_rate_from_ml_per_min_kg`).
MUSCLE_DENSITY_KG_PER_M3 = 1090.0

#: Resting skeletal-muscle blood flow, mL/(min kg): "During rest, blood flow through
#: skeletal muscle averages 3 to 4 ml/min/100 g of muscle" (Guyton & Hall, as reproduced;
#: see the entry "muscle.perfusion").
MUSCLE_REST_PERFUSION_ML_PER_MIN_KG = (30.0, 40.0)

_GUYTON = (
    "Guyton AC, Hall JE. Textbook of Medical Physiology, chapter 'Muscle Blood Flow and "
    "Cardiac Output During Exercise', section 'Rate of blood flow through the muscles' "
    "(edition not stated), as reproduced at euroformhealthcare.biz/medical-physiology/"
    "rate-of-blood-flow-through-the-muscles.html: 'During rest, blood flow through "
    "skeletal muscle averages 3 to 4 ml/min/100 g of muscle'"
)
_ITIS_V42 = (
    "IT'IS Foundation tissue properties database V4.2 (Hasgall PA et al., 2024, year "
    "recalled), row 'Muscle', "
    "as quoted in third-party code: k 0.49496875 W/(m K), c 3421.2 J/(kg K), heat "
    "transfer rate 36.7382931 mL/(min kg), density 1090.4 kg/m^3 (averages only; the "
    "database's min/max/SD columns were not read); the same 0.49 / 1090 / 3421 in the "
    "COMSOL Bioheat Materials Database table (doc.comsol.com 5.5 and 6.0)"
)
_MCINTOSH = (
    "McIntosh RL, Anderson V. A comprehensive tissue properties database provided for "
    "the thermal assessment of a human at rest. Biophys Rev Lett 2010;5(3):129-151 "
    "(abstract read: average, number, minimum and maximum of source values per tissue; "
    "its muscle table was not readable)"
)
_GABRIEL = (
    "Gabriel S, Lau RW, Gabriel C. The dielectric properties of biological tissues III: "
    "parametric models. Phys Med Biol 1996;41:2271-93, muscle 4-Cole-Cole, as tabulated "
    "in BioMed Eng OnLine 2018 doi:10.1186/s12938-018-0473-9 Table 3: 0.428 S/m at "
    "400 kHz, 0.503 S/m at 1 MHz"
)
_IEC_60584 = (
    "IEC 60584-1:2013 Thermocouples - EMF specifications and tolerances (and "
    "IEC 60584-2:1982 + A1:1989), type T (copper/constantan): class 1 +/-0.5 C, "
    "class 2 +/-1.0 C (or 0.0075 |t|) from -40 C; as tabulated by Pico Technology "
    "(picopolska.pl 'Thermocouple tolerances: IEC 60584-2:1993 / BS EN 60584-1:2013') "
    "and in a sensor maker's JIS C1602 / IEC 584-2 / ASTM E230 comparison table"
)
_KUMRU = (
    "Kumru HT, Attaluri A, Gordin V, Cortes D. Finite element simulation of PID-"
    "controlled bipolar radiofrequency ablation of porcine spinal muscle. J Eng Sci Med "
    "Diagn Ther 2023;6(2) doi:10.1115/1.4056516 (abstract read)"
)


def _perfusion_per_s(rate_ml_per_min_kg: float) -> float:
    return perfusion_rate_from_ml_per_min_kg(rate_ml_per_min_kg, MUSCLE_DENSITY_KG_PER_M3)


_ENTRIES = (
    SourcedRange(
        key="muscle.electrical_conductivity",
        parameter="tissue.electrical_conductivity_s_per_m",
        low=0.428,
        high=0.503,
        unit="S/m",
        source=_GABRIEL,
        evidence="secondary",
        note=(
            "The Gabriel 1996 muscle model between 400 kHz and 1 MHz, the span of RF "
            "lesion generators' frequencies; the catalogue's 0.446 S/m is its 500 kHz "
            "interpolation. This is the model's FREQUENCY spread only: the spread between "
            "people, fibre anisotropy (along vs across fibres) and in-vivo vs excised "
            "tissue are not covered and are larger. Kumru 2023's 0.36-1.28 S/m (ex-vivo "
            f"porcine spinal muscle over 20-90 C; {_KUMRU}) is sigma's TEMPERATURE "
            "dependence, which the engine models through the temperature coefficient, "
            "so it is not used as a population range."
        ),
    ),
    SourcedRange(
        key="muscle.conductivity_temperature_coefficient",
        parameter="tissue.conductivity_temperature_coefficient_per_k",
        low=0.015,
        high=0.020,
        unit="1/K",
        source=(
            "Irastorza RM et al., RFA-tutorial (github rirastorza/RFA-tutorial, "
            "example/RFA_script.py): sigma temperature coefficient 1.5 %/C (the "
            "catalogue's source, rhizo.physics.tissues.sources 'irastorza'); about "
            "2 %/C in the RF-ablation modelling literature (recalled, 2006-2014)"
        ),
        evidence="recalled",
        note=(
            "Low end 1.5 %/C as read in the RFA-tutorial script (the catalogue's value, "
            "so the nominal sits on the low edge); high end about 2 %/C, the value most "
            "RF-ablation models use, recalled and not read here (the Rossmann & "
            "Haemmerich 2014 review, Crit Rev Biomed Eng 42(6):467-492, was found but "
            "only its abstract was readable). The weaker level (recalled) is the entry's."
        ),
    ),
    SourcedRange(
        key="muscle.thermal_conductivity",
        parameter="tissue.thermal_conductivity_w_per_m_k",
        low=0.42,
        high=0.56,
        unit="W/(m K)",
        source=f"{_MCINTOSH}; {_ITIS_V42}",
        evidence="recalled",
        note=(
            "Recalled about +/-14 % around the IT'IS average 0.495 W/(m K) (read, "
            "secondary), the spread of in-vitro muscle measurements as recalled from the "
            "McIntosh & Anderson / IT'IS min-max columns, which were not read. Kept "
            "because thermal conductivity must be sweepable; treat the ends as "
            "unverified. Not used: Kumru 2023's 0.33-0.57 W/(m K) over 20-90 C (a "
            "temperature dependence in excised porcine muscle) and Ducharme & Tikuisis "
            "1991's in-vivo forearm k_eff 0.56-1.91 (effective values that include "
            "perfusion, which the engine models separately)."
        ),
    ),
    SourcedRange(
        key="muscle.density",
        parameter="tissue.density_kg_per_m3",
        low=1040.0,
        high=1100.0,
        unit="kg/m^3",
        source=(
            f"{_ITIS_V42}; ICRU Report 44 (1989) Tissue substitutes in radiation dosimetry "
            "and measurement, skeletal muscle 1.05 g/cm^3 (recalled, not read)"
        ),
        evidence="recalled",
        note=(
            "High end: the IT'IS muscle average 1090.4 kg/m^3 (read, secondary) rounded "
            "up by 10 kg/m^3 (<1 %); low end 1040 kg/m^3: the ICRU/ICRP reference "
            "skeletal-muscle density 1.04-1.05 g/cm^3 (recalled; 1.04 g/cm^3 is seen "
            "beside ICRP tissues in third-party Monte Carlo material code, source not "
            "stated there). The IT'IS min/max were not read. A narrow range: density "
            "varies little between people."
        ),
    ),
    SourcedRange(
        key="muscle.specific_heat",
        parameter="tissue.specific_heat_j_per_kg_k",
        low=3240.0,
        high=3800.0,
        unit="J/(kg K)",
        source=(
            f"{_ITIS_V42}; Popovic M. Thermodynamic properties of human tissues. "
            "Thermal Science 2020;24(6):4115-4133 doi:10.2298/TSCI200109151P (abstract "
            "read: mean heat capacity of hydrated human soft tissues 3.24 J/(g K))"
        ),
        evidence="recalled",
        note=(
            "Low end: the soft-tissue mean 3240 J/(kg K) (Popovic 2020 abstract, read, "
            "not muscle-specific); high end 3800 J/(kg K), recalled as the upper "
            "measured muscle values (Duck 1990 compilation, not read). Contains the "
            "IT'IS average 3421.2 (read, secondary). The McIntosh & Anderson / IT'IS "
            "min-max columns were not read."
        ),
    ),
    SourcedRange(
        key="muscle.perfusion",
        parameter="tissue.perfusion_rate_per_s",
        low=_perfusion_per_s(MUSCLE_REST_PERFUSION_ML_PER_MIN_KG[0]),
        high=_perfusion_per_s(MUSCLE_REST_PERFUSION_ML_PER_MIN_KG[1]),
        unit="1/s",
        source=f"{_GUYTON}; {_ITIS_V42}",
        evidence="secondary",
        note=(
            "Resting skeletal-muscle blood flow 3-4 mL/(min 100 g) = 30-40 mL/(min kg) "
            "(Guyton & Hall as reproduced, read), converted with the catalogue's muscle "
            "density 1090 kg/m^3: w_b = rate * 1e-6 * 1090 / 60 = 5.45e-4 to 7.27e-4 1/s. "
            "Contains the catalogue's IT'IS 36.74 mL/(min kg) (6.67e-4 1/s). The "
            "interval is the range of the resting AVERAGE, not of individuals: exercise "
            "raises it 15-25 fold (same text) and the IT'IS SD was not read, so a wider "
            "sweep (e.g. a lognormal) is defensible; a patient lying prone is at rest."
        ),
    ),
    SourcedRange(
        key="thermocouple.bias",
        parameter="thermocouple_bias_c",
        low=-1.0,
        high=1.0,
        unit="C",
        source=_IEC_60584,
        evidence="secondary",
        note=(
            "The standard tolerance (class 2) of a type T thermocouple, +/-1.0 C up to "
            "133 C (read in two third-party tables of IEC 60584; a third page, "
            "thermo-electric.nl, gives type T +/-1.0 / +/-1.5 C for classes 1 / 2 and "
            "disagrees with both, so the two agreeing tables are used). Assumed: the cannula's "
            "sensor is a type T class 2 junction (the sensor type of RF cannulae was not "
            "read). Not covered: the generator's measuring electronics and cold-junction "
            "compensation, and the junction's position in the tip; the NeuroTherm NT1100 "
            "service manual's section 4.1 'Specifications' was found (manualmachine.com) "
            "but only its table of contents was readable, and no Cosman, Stryker or "
            "Abbott specification page was found. See thermocouple.bias_class1."
        ),
    ),
    SourcedRange(
        key="thermocouple.bias_class1",
        parameter="thermocouple_bias_c",
        low=-0.5,
        high=0.5,
        unit="C",
        source=_IEC_60584,
        evidence="secondary",
        note=(
            "The tighter tolerance (class 1) of a type T thermocouple, +/-0.5 C from "
            "-40 to 125 C (same tables); the same assumptions and omissions as "
            "thermocouple.bias."
        ),
    ),
)

#: Every published range, by key (``"muscle.perfusion"``, ``"thermocouple.bias"``, ...).
PUBLISHED_RANGES: dict[str, SourcedRange] = {entry.key: entry for entry in _ENTRIES}


def get_range(key: str) -> SourcedRange:
    """Look up a published range; ``KeyError`` naming the allowed keys."""
    try:
        return PUBLISHED_RANGES[key]
    except KeyError:
        allowed = ", ".join(sorted(PUBLISHED_RANGES))
        raise KeyError(f"unknown published range {key!r}; allowed: {allowed}") from None
