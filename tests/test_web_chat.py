"""The web chat in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium):
type a message, see the reply, click the offered choices, confirm a cancellation, see the store
changed, and see the 'transferred to a person' state."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time

import pytest

from procall import Settings
from procall.server.app import create_app
from procall.server.throwaway_postgres import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def server(tmp_path):
    import uvicorn

    port = free_port()
    app = create_app(Settings(home=tmp_path / "home", database_url=None))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.1)
    yield app, f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(30)


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and DRIVER):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium must not look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="procall-chromium-", dir=tmp_path)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1000,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_cancellation_in_the_web_chat(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    app, url = server
    wait = WebDriverWait(browser, 60)

    def assistant_lines() -> list[str]:
        return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#log .assistant")]

    def type_message(text: str) -> None:
        before = len(assistant_lines())
        box = wait.until(ec.element_to_be_clickable((By.ID, "input")))
        box.send_keys(text, Keys.ENTER)
        wait.until(lambda _: len(assistant_lines()) > before)

    def click_choice(label: str) -> None:
        before = len(assistant_lines())
        wait.until(lambda _: any(b.text == label for b in browser.find_elements(By.CSS_SELECTOR, "#choices .choice")))
        next(b for b in browser.find_elements(By.CSS_SELECTOR, "#choices .choice") if b.text == label).click()
        wait.until(lambda _: len(assistant_lines()) > before)

    browser.get(url)
    wait.until(lambda _: assistant_lines() and assistant_lines()[0].startswith("Hi!"))
    type_message("I want to cancel an order")
    assert "email" in assistant_lines()[-1]
    type_message("chloe.ramirez@example.com")
    assert "Which order would you like to cancel?" in assistant_lines()[-1]
    click_choice("#W1005002, pending: Gaming Mouse, Electric Kettle and Jigsaw Puzzle")
    assert "Why would you like to cancel it?" in assistant_lines()[-1]
    click_choice("no longer needed")
    assert assistant_lines()[-1].startswith("To confirm: cancel order #W1005002")
    click_choice("Yes")
    assert assistant_lines()[-1].startswith("Done: order #W1005002 is cancelled.")
    customer_bubbles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#log .customer")]
    assert customer_bubbles[-3:] == ["#W1005002, pending: Gaming Mouse, Electric Kettle and Jigsaw Puzzle",
                                     "no longer needed", "Yes"]
    order = app.state.service.assistant.backend.dump()["orders"]["#W1005002"]
    assert (order["status"], order["cancel_reason"]) == ("cancelled", "no longer needed")

    assert not browser.find_element(By.ID, "handoff").is_displayed()
    type_message("I want to talk to a human")
    wait.until(lambda _: browser.find_element(By.ID, "handoff").is_displayed())
    browser.save_screenshot(str(tmp_path / "web_chat.png"))
