"""Followup's HTTP API: one router per resource."""
