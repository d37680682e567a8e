"""Intake on PostgreSQL: the migrations run and a lead goes through."""

from pathlib import Path

import pytest

from conveyor.devkit.postgres import DatabaseServer
from conveyor.intake.config import Settings

from .conftest import PUBLIC_URL, lead_body, running_intake


@pytest.mark.postgres
async def test_a_lead_posts_fine_on_postgresql(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_server.create_database(unique_name),
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
    )
    async with running_intake(settings) as client:
        posted = await client.post("/v1/leads", json=lead_body())
        assert posted.status_code == 202
        status = await client.get(posted.json()["status_url"])
    assert status.json()["status"] == "qualified"
