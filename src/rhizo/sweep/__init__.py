"""Population sweeps: many lesions over distributions of their inputs, on Dask.

A sweep spec (:mod:`rhizo.sweep.spec`) names fixed settings, the inputs' distributions
or grids, the outputs and a design (Monte Carlo, Latin hypercube, Saltelli, grid);
:mod:`rhizo.sweep.design` draws the rows, :mod:`rhizo.sweep.runner` runs them in chunks
through the batched engine on a Dask cluster (local by default) and
:mod:`rhizo.sweep.store` keeps each chunk as Parquet so a killed sweep resumes;
:mod:`rhizo.sweep.statistics` and :mod:`rhizo.sweep.report` summarise the outputs and
their variance-based sensitivity indices. Dask, SALib and pyarrow come with the ``dist``
extra and are imported only where used, so the spec modules import without it.

The statistics describe the spread of the MODEL's answers over the stated input
distributions: decision support, not a measurement of patients.
"""
