"""Clinic domain: auth."""
