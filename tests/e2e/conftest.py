"""Browser tests: the app served on a free local port, driven by Debian's headless Chromium through Selenium."""
import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.web.conftest import compiled_catalogues  # noqa: F401 - the pages are checked in Chinese, too

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900",
)


def browser_or_skip() -> None:
    """Skip locally (fail in CI) when Chromium or its driver is missing."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is required in CI: apt-get install chromium chromium-driver.")
    pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")


@pytest.fixture
def server(ctx, database_url):
    """Serve a second app on the same database, with the real clock and CSRF on; yield its base URL."""
    from werkzeug.serving import make_server

    from app import create_app
    from tests.conftest import base_config

    server = make_server("127.0.0.1", 0, create_app(base_config(database_url)), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    server.app.config.update(PUBLIC_BASE_URL=base_url, FORM_MIN_FILL_SECONDS=1, TESTING=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser(tmp_path):
    """Start headless Chromium with a fresh profile; quit it afterwards."""
    browser_or_skip()
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


@pytest.fixture
def screenshot(browser):
    """Return a function saving a full-page screenshot under tests/e2e/screenshots/."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(name: str) -> Path:
        width, height = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollHeight]")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        path = SCREENSHOTS / f"{name}.png"
        browser.save_screenshot(str(path))
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return path

    return save
