from conveyor.router.entrypoints.cli import main

main()
