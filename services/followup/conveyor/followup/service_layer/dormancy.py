"""Watching accounts for quiet: a new watch at the handover and after every order."""

from __future__ import annotations

from datetime import datetime

from conveyor.events.catalogue.followup import AccountWatched
from conveyor.followup.domain.dormancy import Quiet, dormant_on
from conveyor.followup.service_layer.planning import local_day


def watch(
    account_id: str, since: datetime, *, time_zone: str, ordered: bool, quiet: Quiet
) -> AccountWatched:
    """The account goes dormant if nothing is ordered for the quiet period after since."""
    day, reason = dormant_on(local_day(since, time_zone), ordered_before=ordered, quiet=quiet)
    return AccountWatched(
        account_id=account_id, dormant_on=day, since=since, reason=reason, time_zone=time_zone
    )
