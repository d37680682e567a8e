"""Topic names: one per producing service and purpose, versioned in the name."""

LEADS = "conveyor.leads.v1"
REPS = "conveyor.reps.v1"
ASSIGNMENTS = "conveyor.assignments.v1"
FOLLOWUPS = "conveyor.followups.v1"
DEALS = "conveyor.deals.v1"

ALL = (LEADS, REPS, ASSIGNMENTS, DEALS, FOLLOWUPS)


def dead_letter_topic(consumer_group: str) -> str:
    """The dead-letter topic beside a consumer group."""
    return f"{consumer_group}.dlq"
