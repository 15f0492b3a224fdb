"""Clinic domain: allergies (what the procedure's drugs, dyes and skin preparation must avoid)."""
