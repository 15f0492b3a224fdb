"""Clinic domain: audit."""
