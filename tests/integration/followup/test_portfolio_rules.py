"""Handover by portfolio rules set through the back office API, recorded with reasons."""

from typing import Any

from conveyor.events.catalogue.values import Interest, Location
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, Followup, Router, eventually, utc
from .test_handover_flow import tasks_of

FRIDAY = utc("2025-03-07T15:30:00")


async def enrolled(followup: Followup, router: Router, *farmer_ids: str) -> None:
    for farmer_id in farmer_ids:
        await router.register(farmer_id)

    async def probe() -> bool:
        return len(await followup.get("/v1/farmers")) == len(farmer_ids)

    await eventually(probe)


async def set_rules(followup: Followup, farmer_id: str, **rules: Any) -> dict[str, Any]:
    response = await followup.client.put(
        f"/v1/farmers/{farmer_id}/portfolio", json=rules, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def account(followup: Followup, lead_id: str) -> dict[str, Any]:
    await tasks_of(followup, 1, account_id=account_id_for(lead_id))
    found: dict[str, Any] = await followup.get(f"/v1/accounts/{account_id_for(lead_id)}")
    return found


async def test_a_deal_goes_to_the_farmer_of_its_territory_and_says_so(
    followup: Followup, router: Router
) -> None:
    await enrolled(followup, router, "f-idle", "f-north")
    rules = await set_rules(followup, "f-north", territories=["North", "de"], cap=50)
    assert (rules["territories"], rules["cap"]) == (["de", "north"], 50)
    await router.win("lead-1", won_at=FRIDAY, location=Location(country="DE", region="North"))
    assert (await account(followup, "lead-1"))["farmer_id"] == "f-north"
    handed = await handover_event(followup, "lead-1")
    assert handed.rule == "portfolio_rules"
    assert handed.reasons == ("territory de", "territory north")


async def test_segment_and_product_line_rules_pick_the_matching_farmer(
    followup: Followup, router: Router
) -> None:
    await enrolled(followup, router, "f-pumps", "f-smb")
    await set_rules(followup, "f-pumps", product_lines=["pumps"])
    await set_rules(followup, "f-smb", segments=["smb"])
    await router.win("lead-1", won_at=FRIDAY, interest=Interest(product_lines=("Pumps",)))
    await router.win("lead-2", won_at=FRIDAY, custom={"segment": "SMB"})
    assert (await account(followup, "lead-1"))["farmer_id"] == "f-pumps"
    assert (await account(followup, "lead-2"))["farmer_id"] == "f-smb"


async def test_a_second_deal_of_the_same_client_goes_to_its_farmer(
    followup: Followup, router: Router
) -> None:
    await enrolled(followup, router, "f-1", "f-2")
    await router.win("lead-1", won_at=FRIDAY, company="Globex")
    first = (await account(followup, "lead-1"))["farmer_id"]
    await router.win("lead-2", won_at=FRIDAY, company="globex ")
    second = await account(followup, "lead-2")
    assert second["farmer_id"] == first
    assert (await handover_event(followup, "lead-2")).rule == "existing_farmer"


async def test_a_farmer_at_their_cap_takes_no_more_accounts(
    followup: Followup, router: Router
) -> None:
    await enrolled(followup, router, "f-1")
    await set_rules(followup, "f-1", cap=1)
    await router.win("lead-1", won_at=FRIDAY)
    await router.win("lead-2", won_at=FRIDAY)
    assert (await account(followup, "lead-2"))["farmer_id"] == "unassigned"
    handed = await handover_event(followup, "lead-2")
    assert handed.reason == "every available farmer is at their portfolio cap"


async def test_portfolio_rules_need_the_admin_token_and_valid_values(
    followup: Followup, router: Router
) -> None:
    await enrolled(followup, router, "f-1")
    path = "/v1/farmers/f-1/portfolio"
    assert (await followup.client.put(path, json={})).status_code == 401
    wrong = {"authorization": "Bearer nope"}
    assert (await followup.client.put(path, json={}, headers=wrong)).status_code == 401
    bad = await followup.client.put(path, json={"cap": -1, "territories": "x"}, headers=ADMIN)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"cap", "territories"}
    missing = await followup.client.put("/v1/farmers/nobody/portfolio", json={}, headers=ADMIN)
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )


async def handover_event(followup: Followup, lead_id: str) -> Any:
    """The AccountHandedOver of a lead's account, from followup's log."""
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        stream = await runtime.store.read_stream(conn, account_id_for(lead_id))
    return stream[0].envelope.data
