"""How the router's consumer groups are set up from its settings."""

from conveyor.router.bootstrap import CONSUMER_GROUP, KPI_GROUP, bootstrap
from conveyor.router.config import Settings

UNUSED = "sqlite+aiosqlite:///never-opened.db"  # building the service connects to nothing


def lingers(settings: Settings) -> dict[str, float]:
    runtime = bootstrap(settings).runtime
    return {s.group: s.linger for s in runtime.subscriptions}


def test_the_kpi_group_gathers_fuller_batches_and_leads_are_routed_as_they_come() -> None:
    assert lingers(Settings(database_url=UNUSED, bus_url=UNUSED)) == {
        CONSUMER_GROUP: 0.0,  # speed to lead: a decision never waits for company
        KPI_GROUP: 0.5,
    }
    assert lingers(Settings(database_url=UNUSED, bus_url=UNUSED, kpi_linger=2))[KPI_GROUP] == 2
