"""Alembic migrations of the clinic schema (run them with ``rhizo db upgrade``)."""
