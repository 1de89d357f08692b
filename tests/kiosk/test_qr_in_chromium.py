"""A QR payment paid the way a customer pays it: the kiosk shows the order's
URL, a browser (Debian's headless Chromium, driven by Selenium) opens the
sandbox page and presses Pay, and the kiosk's poll sees the order paid."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from central.serve import running
from config.choices import PaymentMethod
from kiosk.flow import State
from kiosk.flow import events as e
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import yuan
from tests.kiosk.test_central_client import kiosk, seed
from tests.waiting import wait_until

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (make test installs them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium'}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium", ignore_errors=True)


def page_text(browser: webdriver.Chrome) -> str:
    """The page's text, or "" while the form's answer is still replacing the page
    (between the click and the new document there is no body to read)."""
    try:
        return str(browser.find_element(By.TAG_NAME, "body").text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def test_qr_payment_paid_in_a_browser(tmp_path: Path, browser: webdriver.Chrome) -> None:
    with running(tmp_path / "c.db") as central, Journal(tmp_path / "j.db") as journal:
        seed(central)
        runner, service = kiosk(journal, central.url, central.enroll())
        try:
            for event in (e.StartPressed(), e.ServiceChosen("electricity"),
                          e.AccountEntered("3301234567")):  # fmt: skip
                runner.post(event).wait(2)
            wait_until(lambda: runner.flow.state is State.BILL_SHOWN)
            runner.post(e.AmountChosen(yuan("166.40"))).wait(2)
            runner.post(e.MethodChosen(PaymentMethod.ALIPAY)).wait(2)
            wait_until(lambda: runner.flow.view().qr_url is not None)
            browser.get(str(runner.flow.view().qr_url))
            assert "￥166.40" in page_text(browser)
            browser.save_screenshot(str(tmp_path / "sandbox.png"))
            browser.find_element(By.NAME, "pay").click()
            wait_until(lambda: "paid" in page_text(browser))
            # the state moves before the runner has run the journal command: wait for it
            wait_until(lambda: bool(journal.latest(["payment_completed"])))
            [done] = journal.latest(["payment_completed"])
            assert done.data["method"] == "alipay" and done.data["amount"]["minor"] == 16640
        finally:
            runner.stop()
            service.stop()
