"""Followup settings, from CONVEYOR_FOLLOWUP_* environment variables."""

import zoneinfo
from datetime import date, datetime

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conveyor.webhooks.schedule import RETRY_SCHEDULE


class Settings(BaseSettings):
    """Where followup keeps its log, which bus it uses, where it listens and how it plans."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_FOLLOWUP_")

    database_url: str = "sqlite+aiosqlite:///var/followup.db"
    database_pool_size: int = Field(default=10, ge=1)  # kept open; half as many again in bursts
    bus_url: str = "sqlite+aiosqlite:///var/bus.db"
    host: str = "127.0.0.1"
    port: int = 8003
    first_task_days: int = Field(default=2, ge=0)
    timer_poll_seconds: float = Field(default=1.0, gt=0)
    consumer_linger: float = Field(default=0.5, ge=0)
    """Seconds the consumer waits to gather a fuller batch of events, and on Kafka the broker
    too, up to 0.5 s of it (a batch costs about the same whatever its size; handovers,
    nurture and rebalancing may lag up to about twice that)."""
    clock_start: datetime | None = None
    admin_token: SecretStr | None = None
    holidays: list[date] = Field(default_factory=list)
    default_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}$")
    default_time_zone: str = "UTC"
    overdue_grace_days: int = Field(default=0, ge=0)
    first_order_within_days: int = Field(default=30, ge=1)
    dormant_after_days: int = Field(default=90, ge=1)
    reactivation_offer_code: str | None = Field(default=None, max_length=100)
    reactivation_pool: str = Field(default="reactivation-pool", min_length=1, max_length=200)
    nurture_recheck_days: int = Field(default=30, ge=1)
    long_leave_days: int = Field(default=14, ge=0)
    default_portfolio_cap: int | None = Field(default=None, ge=0)
    public_url: str = ""
    """The URL farmers' apps use to call followup back (default: http://HOST:PORT)."""
    webhook_require_https: bool = True
    """Farmers' webhook URLs must be https (turn off for development only)."""
    webhook_allow_loopback: bool = False
    """Allow webhook URLs on this machine (127.0.0.0/8, ::1) for development and tests."""
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0)
    webhook_timeout: float = Field(default=5.0, gt=0)
    webhook_concurrency: int = Field(default=16, ge=1)
    """Farmers' endpoints called at once (each one's messages go one at a time, in order)."""
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [d.total_seconds() for d in RETRY_SCHEDULE]
    )
    """Seconds before attempts 2, 3, ... (default: about 3.5 days, see docs/webhooks.md)."""
    webhook_max_response_bytes: int = Field(default=4096, ge=1)

    @property
    def base_url(self) -> str:
        """The URL farmers' apps use to call followup back."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zoneinfo.ZoneInfo(name)  # raises for an unknown zone
        return name
