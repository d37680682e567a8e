"""``python -m conveyor.intake``: the intake command line."""

from conveyor.intake.entrypoints.cli import main

main()
