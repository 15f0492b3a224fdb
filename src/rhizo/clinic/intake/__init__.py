"""Clinic domain: consultation requests from the public page and the portal, and their triage."""
