"""The one place that picks intake's concrete adapters and wires them to the handlers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.events.runtime import Runtime
from conveyor.events.store import create_engine
from conveyor.events.transport import transport_from_url
from conveyor.intake.adapters import queries
from conveyor.intake.adapters.projections import LeadStatusProjection
from conveyor.intake.adapters.unit_of_work import SqlUnitOfWork
from conveyor.intake.config import Settings
from conveyor.intake.service_layer import handlers
from conveyor.intake.service_layer.commands import ReceiveLead


@dataclass(frozen=True)
class IntakeService:
    """Intake wired up: its settings, its event runtime and the handlers bound to them."""

    settings: Settings
    runtime: Runtime

    async def receive_lead(self, cmd: ReceiveLead) -> str:
        """Handle ReceiveLead in a SQL unit of work; return the new lead's id once committed."""
        return await handlers.receive_lead(cmd, SqlUnitOfWork(self.runtime))

    async def lead_status(self, lead_id: str) -> Mapping[str, Any] | None:
        """The lead's read-model row, or None if unknown."""
        return await queries.lead_status(self.runtime.engine, lead_id)

    def status_url(self, lead_id: str) -> str:
        """Where a caller can follow the lead."""
        return f"{self.settings.public_url}/v1/leads/{lead_id}"


def bootstrap(settings: Settings) -> IntakeService:
    """Build intake on the configured database and bus; nothing connects until started."""
    runtime = Runtime(
        name="intake",
        engine=create_engine(settings.database_url),
        transport=transport_from_url(settings.bus_url),
        projections=[LeadStatusProjection()],
    )
    return IntakeService(settings=settings, runtime=runtime)
