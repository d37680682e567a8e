"""Conveyor's benchmarks: one command, a Markdown and JSON report (see bench/README.md)."""
