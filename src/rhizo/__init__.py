"""rhizo: an open platform for radiofrequency rhizotomy (RF neurotomy).

Layers (a lower one never imports a higher one):

- :mod:`rhizo.physics` -- the lesion engine (pure numerics);
- :mod:`rhizo.pathway` -- the care-pathway rules and knowledge base (pure);
- :mod:`rhizo.planning` -- nerve capture by a lesion;
- :mod:`rhizo.plots` -- matplotlib figures of the above;
- :mod:`rhizo.clinic` -- the registry, REST API and web application;
- :mod:`rhizo.cli` -- the ``rhizo`` command.

rhizo is decision support for trained clinicians and researchers, not a medical
device: every figure it shows is a model estimate or a cited rule.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "rhizo is decision support, not a medical device: results are model estimates "
    "and cited guideline rules for a trained clinician to weigh, never instructions."
)
