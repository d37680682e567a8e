"""The console in a real browser: Debian's headless Chromium, driven by Selenium, against
the router as a real process on the embedded transport, with a small seeded history."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conveyor.devkit.processes import ServiceProcess, service
from conveyor.devkit.run import LOCAL_WEBHOOKS
from tests.browser.chromium import chromium, console_errors
from tests.browser.seed import History, seed
from tests.support import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
ADMIN_TOKEN = uuid.uuid4().hex
WAIT = 90.0  # the console asks again for up to a minute for what is folded after
LEAKS = re.compile(r"\bnull\b|\bundefined\b|\[object |NaN")  # a value shown unformatted


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, str]]:
    work = tmp_path_factory.mktemp("console")
    bus = f"sqlite+aiosqlite:///{work / 'bus.db'}"
    env = {
        "CONVEYOR_ROUTER_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'router.db'}",
        "CONVEYOR_ROUTER_BUS_URL": bus,
        "CONVEYOR_ROUTER_ADMIN_TOKEN": ADMIN_TOKEN,
        "CONVEYOR_ROUTER_WEBHOOK_RETRY_SCHEDULE": "[0.2]",  # two attempts, then a dead letter
        "CONVEYOR_ROUTER_WEBHOOK_TIMEOUT": "2",
        **LOCAL_WEBHOOKS,
    }
    proc = service("router", port=free_port(), env=env, log_dir=work)
    try:
        yield proc.start().wait_ready(), bus
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def history(router: tuple[ServiceProcess, str]) -> History:
    proc, bus = router
    return seed(proc.url, bus, ADMIN_TOKEN, run=uuid.uuid4().hex[:6])


@pytest.fixture
def browser(router: tuple[ServiceProcess, str], history: History) -> Iterator[Chrome]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


def url(router: tuple[ServiceProcess, str], hash_: str = "") -> str:
    return f"{router[0].url}/console/{hash_}"


def wait(driver: Chrome, condition: Any, what: str) -> Any:
    """Wait for a condition on the page, with a deadline. An element the page re-rendered
    between finding it and reading it (stale) means the page is not there yet: asked again."""
    waiting = WebDriverWait(driver, WAIT, ignored_exceptions=[StaleElementReferenceException])
    return waiting.until(condition, message=f"timed out waiting for {what}")


def log_in(driver: Chrome, credential: str) -> None:
    """Type the credential into the login form and submit it."""
    field = wait(driver, lambda d: d.find_element(By.ID, "credential"), "the login form")
    wait(driver, lambda d: field.is_displayed(), "the login form shown")
    field.send_keys(credential)
    driver.find_element(By.ID, "login-button").click()


def logged_in(driver: Chrome) -> None:
    wait(driver, lambda d: d.find_element(By.ID, "nav").is_displayed(), "the navigation")


def settled(driver: Chrome) -> None:
    """Wait until every part of the view has loaded (or said why it could not)."""
    wait(driver, lambda d: "Loading…" not in d.find_element(By.ID, "view").text, "the view loaded")


def screenshot(driver: Chrome, path: Path, record_property: Any) -> Path:
    """Save the whole page as the browser shows it; the path goes in the test report."""
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], max(size["height"], height + 140))
    assert driver.save_screenshot(str(path)), f"no screenshot at {path}"
    driver.set_window_size(size["width"], size["height"])
    record_property("screenshot", str(path))
    print(f"console screenshot: {path}")  # the artifact's path, shown with -rP or -s
    return path


def routing_explanations(router: tuple[ServiceProcess, str], lead_id: str) -> list[str]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    response = httpx.get(f"{router[0].url}/v1/leads/{lead_id}/routing", headers=headers)
    response.raise_for_status()
    return [d["explanation"] for d in response.json()["decisions"]]


def test_a_manager_logs_in_opens_a_leads_story_and_reads_why_it_went_to_its_rep(
    browser: Chrome,
    router: tuple[ServiceProcess, str],
    history: History,
    tmp_path: Path,
    record_property: Any,
) -> None:
    browser.get(url(router))
    log_in(browser, ADMIN_TOKEN)
    logged_in(browser)
    browser.find_element(By.LINK_TEXT, "Lead story").click()
    box = wait(browser, lambda d: d.find_element(By.ID, "story-lead"), "the lead search box")
    box.send_keys(history.won)
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    shown = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".decision .explanation"),
                 "the routing decision")  # fmt: skip
    settled(browser)
    image = screenshot(browser, tmp_path / "console-lead-story.png", record_property)

    explanations = routing_explanations(router, history.won)
    assert [e.text for e in shown] == explanations
    assert "round robin" in explanations[0]
    timeline = browser.find_element(By.CSS_SELECTOR, "ol.timeline").text
    assert explanations[0] in timeline
    assert "accepted" in timeline
    decision = browser.find_element(By.CSS_SELECTOR, ".decision").text
    assert "rest" in decision and "france" in decision  # the rules tried, matched or not
    offers = browser.find_element(By.XPATH, "//section[h2='Offers']").text
    assert "won" in offers and "1,200" in offers
    assert image.stat().st_size > 10_000
    assert console_errors(browser) == []


def test_a_team_lead_logs_in_with_their_key_and_reads_the_story_of_their_teams_lead(
    browser: Chrome,
    router: tuple[ServiceProcess, str],
    history: History,
    tmp_path: Path,
    record_property: Any,
) -> None:
    browser.get(url(router))
    log_in(browser, history.manager_key)
    logged_in(browser)
    who = browser.find_element(By.ID, "who").text
    views = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#nav a")]
    browser.get(url(router, f"#/story/{history.won}"))
    timeline = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "ol.timeline"), "story")
    settled(browser)
    screenshot(browser, tmp_path / "console-team-lead-story.png", record_property)

    assert who == "Tess (team lead: default)"
    assert views == ["Today", "KPIs", "Plans", "Stuck leads", "Lead story"]
    assert routing_explanations(router, history.won)[0] in timeline.text
    assert not LEAKS.findall(browser.find_element(By.ID, "view").text)
    assert console_errors(browser) == []


VIEWS = ["Today", "KPIs", "Plans", "Stuck leads", "Unroutable", "Lead story",
         "Routing policy", "Dead letters"]  # fmt: skip


def test_every_view_renders_without_an_error_in_the_page_or_the_browser_console(
    browser: Chrome, router: tuple[ServiceProcess, str], tmp_path: Path, record_property: Any
) -> None:
    browser.get(url(router))
    log_in(browser, ADMIN_TOKEN)
    logged_in(browser)
    shown = {}
    for label in VIEWS:
        browser.find_element(By.LINK_TEXT, label).click()
        wait(browser, lambda d, label=label: d.find_element(By.TAG_NAME, "h1").text == label, label)
        settled(browser)
        shown[label] = browser.find_element(By.ID, "view").text
        screenshot(browser, tmp_path / f"console-{label.lower().replace(' ', '-')}.png",
                   record_property)  # fmt: skip
        assert not LEAKS.findall(shown[label]), label  # no value left unformatted
        errors = browser.find_elements(By.CSS_SELECTOR, "#view .notice-error")
        assert [e.text for e in errors] == [], label
        assert console_errors(browser) == [], label
    assert "Waiting leads" in shown["Unroutable"]
    assert "Run simulation" in shown["Routing policy"]


def test_the_unroutable_list_says_why_the_lead_waits_and_links_its_story(
    browser: Chrome, router: tuple[ServiceProcess, str], history: History
) -> None:
    browser.get(url(router, "#/unroutable"))
    log_in(browser, ADMIN_TOKEN)
    link = wait(browser, lambda d: d.find_element(By.LINK_TEXT, history.waiting), "the lead")
    row = link.find_element(By.XPATH, "ancestor::tr").text

    assert "no active hunter in pool fr" in row
    link.click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".decision-unroutable"), "story")
    assert console_errors(browser) == []


def test_a_simulation_of_the_draft_shows_the_leads_it_would_route_differently(
    browser: Chrome, router: tuple[ServiceProcess, str], history: History
) -> None:
    browser.get(url(router, "#/policy"))
    log_in(browser, ADMIN_TOKEN)
    wait(browser, lambda d: d.find_element(By.ID, "simulate"), "the simulation form")
    Select(browser.find_element(By.NAME, "policy_version")).select_by_value(
        str(history.draft_version)
    )
    browser.find_element(By.ID, "simulate").click()
    found = wait(browser, lambda d: d.find_elements(By.XPATH, "//td[a]/.."), "the differences")
    rows = {r.find_element(By.TAG_NAME, "a").text: r.text for r in found}

    assert set(rows) == {history.waiting, history.dead_letter}
    assert "unroutable" in rows[history.waiting]
    assert "dee" in rows[history.dead_letter]
    assert console_errors(browser) == []


def test_a_dead_letter_is_replayed_from_the_console(
    browser: Chrome, router: tuple[ServiceProcess, str], history: History
) -> None:
    browser.get(url(router, "#/dead-letters"))
    log_in(browser, ADMIN_TOKEN)
    link = wait(browser, lambda d: d.find_element(By.LINK_TEXT, history.dead_letter), "letter")
    link.find_element(By.XPATH, "ancestor::tr").find_element(By.CLASS_NAME, "replay").click()
    done = wait(browser, lambda d: d.find_elements(By.XPATH, "//span[@class='badge']"), "replay")

    assert done[0].text == "replayed: pending"
    assert console_errors(browser) == []
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    story = httpx.get(f"{router[0].url}/v1/leads/{history.dead_letter}/routing", headers=headers)
    assert story.status_code == 200


def test_a_refused_credential_is_said_so_and_logging_out_forgets_the_credential(
    browser: Chrome, router: tuple[ServiceProcess, str]
) -> None:
    browser.get(url(router))
    log_in(browser, "not-a-credential")
    message = wait(browser, lambda d: d.find_element(By.ID, "login-message"), "the message")
    wait(browser, lambda d: message.is_displayed(), "the refusal shown")
    assert message.text == "The router refused this credential."
    refused = console_errors(browser)
    assert all("401" in e["message"] for e in refused), refused  # the refused call only

    browser.find_element(By.ID, "credential").clear()
    log_in(browser, ADMIN_TOKEN)
    logged_in(browser)
    stored = "return sessionStorage.getItem('conveyor.console.credential')"
    assert browser.execute_script(stored) == ADMIN_TOKEN
    browser.find_element(By.ID, "logout").click()
    wait(browser, lambda d: d.find_element(By.ID, "credential").is_displayed(), "the login form")
    assert browser.execute_script(stored) is None
    assert not browser.find_element(By.ID, "view").is_displayed()


def test_a_plan_set_in_the_console_shows_against_what_the_rep_did(
    browser: Chrome, router: tuple[ServiceProcess, str]
) -> None:
    browser.get(url(router, "#/plans"))
    log_in(browser, ADMIN_TOKEN)
    form = wait(browser, lambda d: d.find_element(By.NAME, "rep_id"), "the plan form")
    form.send_keys("ana")
    Select(browser.find_element(By.NAME, "metric")).select_by_value("revenue")
    browser.find_element(By.NAME, "target").send_keys("5000")
    browser.find_element(By.NAME, "currency").send_keys("EUR")
    browser.find_element(By.XPATH, "//button[.='Save plan']").click()
    wait(browser, lambda d: "Plan saved." in d.find_element(By.ID, "view").text, "the plan saved")
    row = wait(browser, lambda d: d.find_element(By.XPATH, "//tr[td='ana']"), "ana's plan")

    assert "5,000 EUR" in row.text
    assert "24.0 %" in row.text  # 1,200 EUR won of 5,000
    assert console_errors(browser) == []


def test_a_csv_button_saves_the_rows_the_table_shows(
    browser: Chrome, router: tuple[ServiceProcess, str], history: History, tmp_path: Path
) -> None:
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.get(url(router, "#/kpis"))
    log_in(browser, ADMIN_TOKEN)
    verdicts = "//section[h2='Verdicts and their reasons']"
    rows = wait(browser, lambda d: d.find_elements(By.XPATH, f"{verdicts}//tbody/tr"), "rows")
    shown = [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows]
    browser.find_element(By.XPATH, f"{verdicts}//button[.='CSV']").click()
    saved = tmp_path / "verdicts.csv"
    wait(browser, lambda d: saved.exists() and saved.read_text().endswith("\n"), "the CSV file")

    lines = saved.read_text().splitlines()
    assert lines[0].split(",")[:2] == ["verdict", "reason"]
    assert [line.split(",")[0] for line in lines[1:]] == shown
    assert "qualified" in shown
    assert console_errors(browser) == []


def test_without_an_admin_token_an_empty_credential_logs_in_as_the_administrator(
    tmp_path: Path,
) -> None:
    env = {"CONVEYOR_ROUTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
           "CONVEYOR_ROUTER_BUS_URL": f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"}  # fmt: skip
    with service("router", port=free_port(), env=env, log_dir=tmp_path) as proc:
        proc.start().wait_ready()
        driver = chromium()
        try:
            driver.get(f"{proc.url}/console/")
            log_in(driver, "")
            logged_in(driver)
            assert driver.find_element(By.ID, "who").text == "administrator (admin)"
            assert "Dead letters" in driver.find_element(By.ID, "nav").text
            assert console_errors(driver) == []
        finally:
            driver.quit()
