"""Intake: accepts leads from every channel, qualifies them and publishes what it decided."""
