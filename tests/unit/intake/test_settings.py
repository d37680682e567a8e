"""Intake's settings: several worker processes need a server database and a server bus."""

import pytest
from pydantic import ValidationError

from conveyor.intake.config import Settings

PG = "postgresql+asyncpg://conveyor@127.0.0.1/intake"
KAFKA = "kafka://127.0.0.1:9092"


def test_several_workers_need_postgresql_and_kafka() -> None:
    assert Settings(workers=4, database_url=PG, bus_url=KAFKA).workers == 4
    assert Settings(workers=1).workers == 1  # one process: the embedded defaults serve
    with pytest.raises(ValidationError, match="PostgreSQL database_url"):
        Settings(workers=2, bus_url=KAFKA)
    with pytest.raises(ValidationError, match="Kafka bus_url"):
        Settings(workers=2, database_url=PG, bus_url="postgresql+asyncpg://conveyor@127.0.0.1/bus")
    with pytest.raises(ValidationError, match="workers"):
        Settings(workers=0)
