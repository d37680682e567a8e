"""Followup's rules: business days, the choice of farmer and the plan of the first task."""
