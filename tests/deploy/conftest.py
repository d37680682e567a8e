"""The rendered season overlays, shared by the Kubernetes tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.tools import KUBERNETES, OVERLAYS, render


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Every object a season overlay renders."""
    return render(KUBERNETES / "overlays" / request.param)
