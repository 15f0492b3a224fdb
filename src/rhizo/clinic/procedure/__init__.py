"""Clinic domain: procedure."""
