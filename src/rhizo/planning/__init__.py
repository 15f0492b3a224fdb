"""rhizo.planning (see docs/planning.md)."""
