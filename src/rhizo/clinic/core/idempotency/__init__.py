"""Idempotent creates: a retried POST with the same ``Idempotency-Key`` returns the
first result instead of creating a second record (models, dependency, replay)."""
