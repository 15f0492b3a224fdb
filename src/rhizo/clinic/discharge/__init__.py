"""Clinic domain: discharge."""
