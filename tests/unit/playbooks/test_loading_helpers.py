"""The loader's comparisons and the scenario's unique leads, without services."""

from conveyor.devkit.playbooks_model import RepSpec
from conveyor.devkit.playbooks_reps import desired, differences
from conveyor.devkit.playbooks_scenario import unique


def registered(**settings: object) -> dict[str, object]:
    return {
        "rep_id": "ana",
        "name": "Ana",
        "role": "hunter",
        "pools": ["sales"],
        "time_zone": "UTC",
        "active": True,
        "webhook_url": None,
        "settings": settings,
    }


def test_a_rep_registered_as_the_playbook_says_needs_no_change() -> None:
    rep = RepSpec(rep_id="ana", name="Ana", role="hunter", pools=["sales"],
                  capacity={"per_day": 5}, territories=["DE"])  # fmt: skip
    current = registered(capacity={"per_day": 5, "per_week": None}, territories=["DE"])

    assert differences(current, desired(rep, None)) == {}


def test_only_what_differs_is_changed_and_settings_the_file_leaves_out_are_kept() -> None:
    rep = RepSpec(rep_id="ana", name="Ana", role="hunter", pools=["sales", "key"])
    current = registered(territories=["DE"])

    assert differences(current, desired(rep, "http://inbox/hooks")) == {
        "pools": ["sales", "key"],
        "webhook_url": "http://inbox/hooks/ana",
    }


def test_a_scenario_lead_is_made_unique_but_keeps_its_domain_and_dialling_code() -> None:
    lead = {"contact": {"name": "Hilde", "email": "hilde@huber.example", "phone": "+43 1 5123456"}}

    first, second = unique(lead, "00ff01", 0), unique(lead, "00ff01", 1)

    assert first["contact"]["email"] == "hilde+00ff01@huber.example"
    assert first["contact"]["phone"].startswith("+43 1 51")
    assert first["contact"]["phone"] != second["contact"]["phone"]
    assert lead["contact"]["email"] == "hilde@huber.example"
