"""Dependencies shared by the API's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from conveyor.followup.adapters.views import ReadModels
from conveyor.followup.bootstrap import FollowupService


def get_service(request: Request) -> FollowupService:
    """The service the lifespan bootstrapped."""
    service: FollowupService = request.app.state.service
    return service


def get_read_models(request: Request) -> ReadModels:
    """The read models of the running service."""
    return get_service(request).read_models


ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]
