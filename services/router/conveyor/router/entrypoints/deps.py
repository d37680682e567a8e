"""Dependencies shared by the router's API modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from conveyor.events.store import ConcurrencyError
from conveyor.events.web import Problem
from conveyor.router.bootstrap import RouterService
from conveyor.router.domain.policy import PolicyError
from conveyor.router.service_layer.errors import NotFound
from conveyor.router.service_layer.ports import UnitOfWork

T = TypeVar("T")


def get_service(request: Request) -> RouterService:
    """The router service the app's lifespan built."""
    service: RouterService = request.app.state.service
    return service


ServiceDep = Annotated[RouterService, Depends(get_service)]


async def run(service: RouterService, handle: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run a handler in a unit of work, mapping domain errors to problems."""
    try:
        async with service.unit_of_work() as uow:
            return await handle(uow)
    except NotFound as exc:
        raise Problem(404, "Not found", str(exc)) from None
    except PolicyError as exc:
        errors = [{"field": "policy", "reason": str(exc)}]
        raise Problem(422, "The policy is not valid", str(exc), errors=errors) from None
    except ConcurrencyError as exc:
        raise Problem(409, "Conflicting update", str(exc)) from None


def ctx(service: RouterService) -> dict[str, Any]:
    """What every handler is told: the event source and the time now."""
    return {"source": service.runtime.source, "now": service.clock()}
