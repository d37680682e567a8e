"""``conveyor-router migrate | serve | rebuild``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conveyor.events.service_cli import run
from conveyor.router.adapters.projections import AssignmentsProjection, RepsProjection
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "adapters" / "migrations"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    settings = Settings()
    run(
        argv,
        settings=settings,
        create_app=lambda: create_app(settings),
        migrations=MIGRATIONS,
        projections=lambda: [RepsProjection(), AssignmentsProjection()],
    )
