"""Outcomes: the specialist figures and the durability curves, from one snapshot of the registry."""
