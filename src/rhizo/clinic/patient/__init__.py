"""Clinic domain: patient."""
