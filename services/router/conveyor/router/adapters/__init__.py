"""The router's adapters: SQL tables, projections, the unit of work and webhook delivery."""

from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
