"""Router settings, from CONVEYOR_ROUTER_* environment variables."""

from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from conveyor.webhooks.schedule import RETRY_SCHEDULE

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


class Settings(BaseSettings):
    """Where the router keeps its log, which bus it uses and where it listens."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_ROUTER_")

    database_url: str = "sqlite+aiosqlite:///var/router.db"
    database_pool_size: int = Field(default=10, ge=1)  # kept open; half as many again in bursts
    bus_url: str = "sqlite+aiosqlite:///var/bus.db"
    host: str = "127.0.0.1"
    port: int = 8002
    public_url: str = ""
    webhook_timeout: float = 5.0
    retry_interval: float = 30.0
    key_account_threshold: float = 90.0
    admin_token: SecretStr | None = None
    """The administrator's bearer token; unset leaves the admin API open (development)."""
    webhook_require_https: bool = True
    """Reps' webhook URLs must be https (turn off for development only)."""
    webhook_allow_loopback: bool = False
    """Allow webhook URLs on this machine (127.0.0.0/8, ::1) for development and tests."""
    webhook_secret_overlap_hours: float = 24.0
    """How long a rotated-out signing secret keeps signing beside the new one."""
    webhook_unhealthy_after: int = 3
    """Failed attempts in a row after which a rep's endpoint is unhealthy (no new leads)."""
    webhook_concurrency: int = 16
    """Reps' endpoints called at once (each rep's messages go one at a time, in order)."""
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [d.total_seconds() for d in RETRY_SCHEDULE]
    )
    """Seconds before attempts 2, 3, ... (default: about 3.5 days, see docs/webhooks.md)."""
    webhook_max_response_bytes: int = 4096
    """How much of the body of a rep's endpoint's answer is read (a longer one is cut off
    there and its connection closed)."""
    kpi_linger: float = Field(default=0.5, ge=0)
    """Seconds the KPI consumer waits to gather a fuller batch of events, and on Kafka the
    broker too, up to 0.5 s of it (the KPIs may lag up to about twice that; a batch costs
    about the same whatever its size)."""
    timer_interval: float = 5.0
    """Seconds between looks at SLA timers when nothing is committed."""
    business_time_zone: str = "UTC"
    """The calendar of "one business day" for leads with no accepted owner."""
    business_hours: dict[str, list[tuple[str, str]]] = Field(
        default_factory=lambda: {day: [("09:00", "17:00")] for day in WORKDAYS}
    )
    business_holiday_country: str | None = None
    business_holiday_subdivision: str | None = None
    default_sla: dict[str, Any] | None = None
    """The SLA of offers whose rule sets none (JSON; default: accept within 60 working
    minutes, first contact within 480; see the router's README)."""

    @property
    def base_url(self) -> str:
        """The URL reps' apps use to call the router back."""
        return self.public_url or f"http://{self.host}:{self.port}"
