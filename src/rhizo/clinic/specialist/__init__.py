"""Clinic domain: specialist."""
