"""Where each tissue property in the catalogue comes from, quoted once, referred to by key.

A text says "recalled, not verified" where the value was not read in the named
source; the others were read there (each tissue's ``unverified`` field lists the
recalled fields). :mod:`rhizo.physics.tissue` cites these by key.
"""

from __future__ import annotations

SOURCES: dict[str, str] = {
    "gabriel": (
        "Gabriel S, Lau RW, Gabriel C. The dielectric properties of biological tissues III: "
        "parametric models. Phys Med Biol 1996;41:2271-93, muscle 4-Cole-Cole, as tabulated "
        "in BioMed Eng OnLine 2018 doi:10.1186/s12938-018-0473-9 Table 3 (0.428 S/m at "
        "400 kHz, 0.503 S/m at 1 MHz); 0.446 S/m at 500 kHz by interpolation"
    ),
    "itis_muscle": (
        "IT'IS Foundation tissue properties database v4 (Hasgall et al.), muscle: "
        "rho 1090 kg/m^3, c 3421 J/(kg K), k 0.49 W/(m K); the same triple is read in the "
        "COMSOL Bioheat Materials Database table (doc.comsol.com 5.5/6.0)"
    ),
    "irastorza": (
        "Irastorza RM et al., RFA-tutorial (github rirastorza/RFA-tutorial, "
        "example/RFA_script.py): sigma temperature coefficient 1.5 %/C"
    ),
    "comsol_liver": (
        "COMSOL Application Gallery 'Tumor Ablation' (after Tungjitkusolmun et al. 2002), "
        "built-in Liver (human): sigma 0.333 S/m, rho 1079 kg/m^3, c 3540 J/(kg K), "
        "k 0.52 W/(m K); blood rho 1000, c 4180"
    ),
    "coimbra_egg": (
        "Coimbra JSR, Gabas AL, Minim LA, Garcia Rojas EE, Telis VRN, Telis-Romero J. "
        "Density, heat capacity and thermal conductivity of liquid egg products. "
        "J Food Eng 2006;74:186-90 (egg white near 20-30 C: rho ~1035 kg/m^3, "
        "c ~3800 J/(kg K), k ~0.55 W/(m K))"
    ),
    "egg_sigma": (
        "egg-white electrical conductivity ~0.7 S/m near 500 kHz: order of magnitude from "
        "ohmic-heating literature on liquid egg white (recalled, not verified)"
    ),
    "ortiz_bench": (
        "Ortiz N, Shahgholi L, Kohan L, Wahezi SE. The effect of local anesthetics and "
        "contrast agents on radiofrequency ablation lesion size (abstract): chicken breast "
        "at 21 C"
    ),
    "chang_nguyen": (
        "Chang IA, Nguyen UD. Thermal modeling of lesion growth with radiofrequency ablation "
        "devices. BioMed Eng OnLine 2004;3:27 (perfusion scaled by 1 - DS, DS = 1 - exp(-Omega) "
        "the degree of vascular stasis); the 'standard first-order Arrhenius model with "
        "decreasing perfusion with increasing degree of vascular stasis' of Schutt DJ, "
        "Haemmerich D. Med Phys 2008;35:3462-70 (abstract read)"
    ),
    "perfusion_stop": (
        "Irastorza RM et al., RFA-tutorial (github rirastorza/RFA-tutorial, "
        "example/RFA_script.py, perf_model='stop'): perfusion switched off where Omega > 1"
    ),
    "perfusion_muscle": (
        "IT'IS Foundation tissue properties database (Hasgall PA et al., IT'IS Database for "
        "thermal and electromagnetic parameters of biological tissues), version 4.2 (2024, "
        "year recalled), row 'Muscle': heat transfer rate 36.7382931 mL/min/kg (row density "
        "1090.4 kg/m^3) -> w_b = 36.74e-6 * 1090 / 60 = 6.67e-4 1/s. SECONDARY: the V4.2 "
        "ASCII table's row as quoted in third-party code (the caustica project's materials "
        "tests, 'Thermal_dielectric_acoustic_MR properties_database_V4.2'); a second "
        "third-party model quotes IT'IS v4.1 muscle as 37 mL/min/kg. The database itself "
        "(itis.swiss, JavaScript-rendered) was not read. Was 6.7e-4 1/s (recalled ~37): -0.4 %"
    ),
    "gabriel_fat": (
        "Gabriel 1996 fat Cole-Cole as tabulated in BioMed Eng OnLine 2018 "
        "doi:10.1186/s12938-018-0473-9 Table 3: 0.0248 S/m at 400 kHz, 0.0251 S/m at 1 MHz"
    ),
    "itis_fat": (
        "IT'IS Foundation database v4, fat: rho 911 kg/m^3, c 2348 J/(kg K), k 0.21 W/(m K) "
        "(read in third-party k-Wave scripts quoting the database, and in the COMSOL "
        "Bioheat Materials Database table, doc.comsol.com 5.5/6.0)"
    ),
    "perfusion_fat": (
        "IT'IS Foundation database v4.1, fat: heat transfer rate 33 mL/min/kg -> w_b = "
        "33e-6 * 911 / 60 = 5.01e-4 1/s. SECONDARY and rounded: the value as quoted in one "
        "third-party bioheat model ('IT'IS v4.1' perfusion table: skin 106, fat 33, muscle "
        "37 mL/min/kg); the V4.2 'Fat' row was not found (its 'Breast Fat' row, 47 mL/min/kg, "
        "is a different tissue). Was 5.0e-4 1/s (recalled ~33): +0.2 %"
    ),
    "boundary_bench_muscle": (
        "bench lesions in chicken breast are measured at the visible whitening of the cut "
        "surface by calipers (Provenzano 2010; Ortiz) or photographs (Cosman 2014)"
    ),
    "boundary_egg": (
        "egg-white lesions are photographed as the white coagulum (Tew-electrode study, "
        "Pain Res Manag 2015;20:316-20; Bogduk 1987)"
    ),
    "boundary_liver": (
        "liver lesions are measured at the white coagulation zone of the cut organ (Goldberg 1995)"
    ),
}
