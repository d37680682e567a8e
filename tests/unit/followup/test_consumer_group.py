"""How followup's consumer group is set up from its settings."""

from conveyor.followup.bootstrap import CONSUMER_GROUP, bootstrap
from conveyor.followup.config import Settings

UNUSED = "sqlite+aiosqlite:///never-opened.db"  # building the service connects to nothing


def linger(settings: Settings) -> float:
    [subscription] = [s for s in bootstrap(settings).runtime.subscriptions]
    assert subscription.group == CONSUMER_GROUP
    return subscription.linger


def test_the_consumer_gathers_fuller_batches_for_as_long_as_it_is_told() -> None:
    assert linger(Settings(database_url=UNUSED, bus_url=UNUSED)) == 0.5
    assert linger(Settings(database_url=UNUSED, bus_url=UNUSED, consumer_linger=0)) == 0
