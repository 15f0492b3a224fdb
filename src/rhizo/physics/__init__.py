"""rhizo.physics (see docs/physics.md)."""
