"""Clinic domain: followup."""
