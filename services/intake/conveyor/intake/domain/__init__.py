"""Intake's domain: the lead and its qualification, in plain Python."""
