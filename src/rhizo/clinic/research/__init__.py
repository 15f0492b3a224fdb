"""Clinic domain: research."""
