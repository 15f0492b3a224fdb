"""Clinic domain: block."""
