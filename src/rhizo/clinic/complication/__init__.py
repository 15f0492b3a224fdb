"""Clinic domain: complication."""
