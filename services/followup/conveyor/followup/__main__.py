from conveyor.followup.entrypoints.cli import main

main()
