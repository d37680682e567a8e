"""Followup's adapters: SQL tables, read models, the farmer-load query and migrations."""

from pathlib import Path

MIGRATIONS = str(Path(__file__).parent / "migrations")
