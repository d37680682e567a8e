"""Intake's settings, read from ``CONVEYOR_INTAKE_*`` environment variables."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where intake keeps its data, which bus it publishes to and where it listens."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_INTAKE_")

    database_url: str = "sqlite+aiosqlite:///var/intake.db"
    database_pool_size: int = Field(default=10, ge=1)  # kept open; half as many again in bursts
    bus_url: str = "sqlite+aiosqlite:///var/bus.db"
    host: str = "127.0.0.1"
    port: int = 8001
    public_url: str = ""
    duplicate_window_days: float = Field(default=30, ge=0)
    """The same person arriving again within this many days is a touch, not a new lead."""
    batch_max_rows: int = Field(default=50_000, ge=1)
    """Rows read from one POST /v1/leads:batch; the rest are refused."""
    admin_token: str = ""
    """The administrator's bearer token for /v1/sources; empty turns the admin API off."""
    workers: int = Field(default=1, ge=1)
    """HTTP worker processes sharing the port (say, one per core of the pod); more than one
    needs PostgreSQL and Kafka (an SQLite database and the embedded bus serve one process)."""

    @model_validator(mode="after")
    def _derive_public_url(self) -> Self:
        self.public_url = (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
        return self

    @model_validator(mode="after")
    def _workers_need_postgres_and_kafka(self) -> Self:
        if self.workers > 1 and not self.database_url.startswith("postgresql"):
            raise ValueError("workers > 1 needs a PostgreSQL database_url (SQLite serves one)")
        if self.workers > 1 and not self.bus_url.startswith("kafka"):
            raise ValueError("workers > 1 needs a Kafka bus_url (the embedded bus serves one)")
        return self
