"""Intake's adapters: SQL tables, the read-model projection, the SQL unit of work."""
