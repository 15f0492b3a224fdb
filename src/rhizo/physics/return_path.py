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
  the total of 100 ohm is an ESTIMATE (recalled, not verified) that puts the displayed
  impedance of clinical cannulae inside the 150-500 ohm that pain-practice generators
  typically show before and during a medial-branch lesion (RECALLED clinical range,
  not found in a stored source; checked in tests/physics/test_impedance.py).

Set ``series_resistance_ohm=0`` for a bench comparison of the tissue alone (the exact
benchmarks do).
"""

from __future__ import annotations

#: Lumped resistance of the dispersive pad, body path and leads (ohm); see above.
RETURN_PATH_RESISTANCE_OHM = 100.0

#: Impedance range typically displayed by pain-practice RF generators at the start and
#: during a conventional medial-branch lesion (ohm). RECALLED, not verified in a source.
CLINICAL_DISPLAYED_IMPEDANCE_OHM: tuple[float, float] = (150.0, 500.0)
