"""rhizo.pathway (see docs/pathway.md)."""
