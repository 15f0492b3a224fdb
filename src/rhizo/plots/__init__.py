"""Matplotlib figures for rhizo results (Agg backend, no GUI)."""
