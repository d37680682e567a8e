"""Repeat orders from the farmer's app or the order system feed the account's history,
each recorded once."""

from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, Followup

ACCOUNT = f"/v1/accounts/{account_id_for('lead-1')}"
ORDER = {"amount": "300.00", "currency": "EUR", "ordered_at": "2025-03-20T10:00:00Z"}


async def test_the_farmer_and_the_order_system_record_orders_into_the_history(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    by_farmer = await followup.client.post(f"{ACCOUNT}/orders", json=ORDER, headers=team["f-1"])
    assert (by_farmer.status_code, by_farmer.json()["recorded"]) == (201, True)
    by_system = {**ORDER, "amount": "120.50", "order_ref": "ERP-7"}
    assert (
        await followup.client.post(f"{ACCOUNT}/orders", json=by_system, headers=ADMIN)
    ).status_code == 201
    account = await followup.get(ACCOUNT)
    assert (account["order_count"], account["status"]) == (2, "active")
    history = (await followup.client.get(f"{ACCOUNT}/history", headers=team["f-1"])).json()
    orders = [h["data"] for h in history if h["type"] == "conveyor.account.repeat_order_recorded"]
    assert [(o["amount"], o["recorded_by"]) for o in orders] == [
        ("300.00", "f-1"),
        ("120.50", "order_system"),
    ]
    assert history[0]["type"] == "conveyor.account.handed_over"


async def test_an_order_sent_twice_with_its_reference_is_recorded_once(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    order = {**ORDER, "order_ref": "ERP-1"}
    first = await followup.client.post(f"{ACCOUNT}/orders", json=order, headers=ADMIN)
    again = await followup.client.post(f"{ACCOUNT}/orders", json=order, headers=ADMIN)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["recorded"] is False
    assert (await followup.get(ACCOUNT))["order_count"] == 1


async def test_others_can_neither_record_orders_nor_read_the_history(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    for rep in ("f-2", "h-7"):
        posted = await followup.client.post(f"{ACCOUNT}/orders", json=ORDER, headers=team[rep])
        assert posted.status_code == 404
        read = await followup.client.get(f"{ACCOUNT}/history", headers=team[rep])
        assert read.status_code == 404
    lead = await followup.client.get(f"{ACCOUNT}/history", headers=team["lead-1"])
    assert lead.status_code == 200


async def test_a_bad_order_is_refused_field_by_field(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    bad = {"amount": "-1", "currency": "euro"}
    response = await followup.client.post(f"{ACCOUNT}/orders", json=bad, headers=team["f-1"])
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"amount", "currency"}
