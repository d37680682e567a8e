"""Followup's use cases: event handlers over small ports."""
