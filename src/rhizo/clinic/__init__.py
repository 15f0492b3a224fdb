"""rhizo.clinic (see docs/clinic.md)."""
