"""The clinic's ground floor: database, settings, shared schemas, errors, users and
permissions, audit, idempotency and the FastAPI dependencies. It imports no clinic
domain (an import-linter contract in pyproject.toml says so; docs/architecture.md).
"""
