"""The follow-up plan of an account with no cadence published for it: the onboarding call."""

from __future__ import annotations

from conveyor.followup.domain.cadence import DEFAULT_CADENCE, Cadence, Step

ONBOARDING_CALL = "onboarding_call"
ONBOARDING_SCRIPT = "Onboarding call with {client} after the first deal ({deal})."


def built_in_cadence(first_task_days: int) -> Cadence:
    """Version 0 of the default cadence: an onboarding call first_task_days business days on."""
    step = Step(ONBOARDING_CALL, first_task_days, business_days=True, script=ONBOARDING_SCRIPT)
    return Cadence(DEFAULT_CADENCE, 0, (step,))
