"""Clinic domain: condition."""
