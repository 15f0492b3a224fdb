"""The return path: dispersive (grounding) pad, body and leads, in series with the tip.

A monopolar RF current leaves the active tip, spreads through the tissue and returns
through the body to the dispersive pad and the generator. The engine computes the
tissue's spreading resistance around the tip (an infinite medium, exact far field);
what lies beyond it is lumped into one series resistance that adds to the impedance
the generator displays and takes its share of the generator's power and voltage
(:attr:`rhizo.physics.generator.GeneratorSettings.series_resistance_ohm`). It does not
change the heating of the tissue unless a power or voltage limit binds.

Default: 100 ohm. Evidence, by part:

- pad spreading resistance, a disc of radius a on a half space, R = 1 / (4 sigma a)
  (Holm's constriction formula, textbook; DERIVED): a 10 cm disc (a = 0.05 m) on
  muscle (sigma 0.446 S/m) gives 11 ohm;
- skin-electrode contact: about 26 ohm at 244-296 kHz for pre-gelled carbon-rubber
  electrodes on dry skin (Kaufmann S et al., Measurements of electrode skin impedance
  using carbon rubber electrodes - first results, J Phys Conf Ser 2013;434:012012;
  SECONDARY: the values as tabulated in a third-party code copy, not the paper);
- trunk path, leads and tissue heterogeneity round a real medial branch (fascia, fat,
  bone: lower conductivity than the homogeneous muscle model): not measured here;
  the total of 100 ohm stays an ESTIMATE (recalled, not verified). Searched for on
  2026-12-01 (manuals, clinical papers, pad and body resistance at 300-500 kHz): no
  source with a measured return-path resistance was found. What would verify it: the
  impedance a generator shows with the tip in a known medium (saline of known
  conductivity, whose spreading resistance is exact), minus that spreading resistance.

What the generator displays: "Impedance (resistance to flow of current) will fluctuate
and should consistently read between 300 and 700 ohms" (step 8 of an
"RF PROCEDURE PROTOCOL" page of a modality wiki, miaradmodalitywiki.powerappsportals
.com/RF/RF-PROCEDURE-PROTOCOL: RF lesioning with stimulation before lesioning, the
patient plate on the thigh for lumbar and the upper arm for cervical procedures; LOCAL
PROTOCOL: read in source, one site's expected range, not a measured series). It
replaces a recalled 150-500 ohm. With the 100 ohm estimate the engine's clinical
cannulae in living muscle display 163-271 ohm (16 G / 10 mm to 22 G / 5 mm, start and
end of an 80 C / 90 s lesion), below that range: the test comparing them is an
expected failure with these figures (tests/physics/test_impedance.py); the return
path is not tuned to close the gap (closing it would take about 240 ohm).

Set ``series_resistance_ohm=0`` for a bench comparison of the tissue alone (the exact
benchmarks do).
"""

from __future__ import annotations

#: Lumped resistance of the dispersive pad, body path and leads (ohm); see above.
RETURN_PATH_RESISTANCE_OHM = 100.0

#: Impedance an RF generator should display with the cannula placed for a spinal RF
#: lesion (ohm): 300-700, a site's RF procedure protocol (see above; local protocol,
#: read in source). Was a recalled 150-500.
CLINICAL_DISPLAYED_IMPEDANCE_OHM: tuple[float, float] = (300.0, 700.0)
