"""Router settings, from CONVEYOR_ROUTER_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the router keeps its log, which bus it uses and where it listens."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_ROUTER_")

    database_url: str = "sqlite+aiosqlite:///var/router.db"
    bus_url: str = "sqlite+aiosqlite:///var/bus.db"
    host: str = "127.0.0.1"
    port: int = 8002
    public_url: str = ""
    webhook_timeout: float = 5.0
    retry_interval: float = 30.0
    key_account_threshold: float = 90.0

    @property
    def base_url(self) -> str:
        """The URL reps' apps use to call the router back."""
        return self.public_url or f"http://{self.host}:{self.port}"
