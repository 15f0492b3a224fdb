"""Clinic domain: medication."""
