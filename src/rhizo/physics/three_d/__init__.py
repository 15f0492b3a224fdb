"""The 3D lesion engine: structured Cartesian finite volumes beside the axisymmetric one.

One idea per module: :mod:`grid3d` (graded Cartesian grid), :mod:`geometry3d` (cannula
pose, bone solids and tissue labels), :mod:`fv3d` (face conductances, the 7-point
operator, Joule heat), :mod:`potential3d` (sigma grad V by AMG-preconditioned CG),
:mod:`heat3d` (implicit Pennes step), :mod:`engine3d` (the time loop with the shared
generator, tissue and damage physics). See docs/engine3d.md.
"""
