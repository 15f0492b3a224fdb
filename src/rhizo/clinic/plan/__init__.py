"""Clinic domain: plan."""
