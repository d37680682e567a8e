"""Intake's use cases: commands, their handlers and the ports they need."""
