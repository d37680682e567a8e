"""The playbooks command's list and show, and the guide that documents every playbook."""

from pathlib import Path

import pytest

from conveyor.devkit import playbooks_model
from conveyor.devkit.playbooks import main

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "playbooks.md"


def test_list_names_every_playbook_with_its_title(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0

    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == playbooks_model.names()
    assert any("Two levels - hunters and farmers" in line for line in listed)


def test_show_explains_the_rules_and_where_the_scenario_leads_go(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", "by-territory"]) == 0

    shown = capsys.readouterr().out
    assert (
        "Austrian phone numbers: when contact.phone phone_country ['AT'] -> pool austria" in shown
    )
    assert "then: pool inside-sales then a team lead" in shown
    assert "a Munich lead goes to the south: sepp by rule" in shown


def test_an_unknown_playbook_is_an_error_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "four-level"]) == 1

    assert "no playbook 'four-level'" in capsys.readouterr().err


def test_the_guide_documents_every_playbook() -> None:
    guide = GUIDE.read_text()
    for name in playbooks_model.names():
        assert f"(`{name}`)" in guide, name
