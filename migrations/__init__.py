"""Alembic migrations for the Logit Lab database (packaged so they run from any directory)."""
