"""Debian's headless Chromium driven by Selenium through Debian's chromedriver, with the
browser's console log kept for the test to read."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

INSTALL = "apt-get install chromium chromium-driver (scripts/install.sh --test-deps does)"


def binary(name: str) -> str:
    """The path of a program the browser tests need; a missing one fails the test."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL}")
    return path


def chromium(*, width: int = 1400, height: int = 1000) -> webdriver.Chrome:
    """A headless Chromium whose console messages, errors included, can be read."""
    options = webdriver.ChromeOptions()
    options.binary_location = binary("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(
        options=options, service=Service(executable_path=binary("chromedriver"))
    )


def console_errors(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The browser console's errors (SEVERE) since the last call: script errors, failed
    loads, refused content."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
