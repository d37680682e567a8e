"""``conveyor-followup migrate | serve | rebuild``, configured by ``CONVEYOR_FOLLOWUP_*``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conveyor.events.service_cli import run
from conveyor.followup.adapters import MIGRATIONS
from conveyor.followup.bootstrap import bootstrap
from conveyor.followup.config import Settings
from conveyor.followup.entrypoints.app import create_app


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``conveyor-followup`` and ``python -m conveyor.followup``."""
    settings = Settings()
    run(
        argv,
        prog="conveyor-followup",
        settings=settings,
        create_app=lambda: create_app(settings),
        build=lambda: bootstrap(settings),
        migrations=Path(MIGRATIONS),
    )
