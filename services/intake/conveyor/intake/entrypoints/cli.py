"""``conveyor-intake migrate | serve | rebuild``, configured by ``CONVEYOR_INTAKE_*``."""

from __future__ import annotations

from collections.abc import Sequence

from conveyor.events.service_cli import run
from conveyor.intake.adapters.database import MIGRATIONS
from conveyor.intake.bootstrap import bootstrap
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints.app import create_app


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``conveyor-intake`` and ``python -m conveyor.intake``."""
    settings = Settings()
    run(
        argv,
        prog="conveyor-intake",
        settings=settings,
        create_app=lambda: create_app(settings),
        worker_app="conveyor.intake.entrypoints.app:worker_app",
        workers=settings.workers,
        build=lambda: bootstrap(settings),
        migrations=MIGRATIONS,
    )
