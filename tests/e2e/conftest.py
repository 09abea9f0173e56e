"""End-to-end tests in a real browser: headless Debian `chromium` driven through Debian's
`chromium-driver` (Selenium), never a downloaded browser, against pytest-django's live server on
127.0.0.1 (PostgreSQL on CI). Every page a test opens is checked for browser console errors
(script errors, failed loads, Content Security Policy violations); every screen a test shows
is saved to var/screenshots/ (docs/screenshots/ with NHI_UPDATE_SCREENSHOTS=1) and checked with
axe-core (vendored, see vendor/README.md)."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ON_CI

# pytest-django's live server listens on this address (read when the fixture starts); no port: the
# system gives each one a free port, so parallel workers (make test) never share one.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--force-device-scale-factor=1",
    "--lang=ja",
    "--hide-scrollbars",
]
WIDTH = 1280
MAX_SCREENSHOT_HEIGHT = 2400
# Screenshots go to var/screenshots/ (not tracked), so `make test` leaves docs/ as committed;
# NHI_UPDATE_SCREENSHOTS=1 writes them into docs/screenshots/ to refresh the documentation.
SCREENSHOTS = Path(settings.BASE_DIR) / (
    "docs/screenshots" if os.environ.get("NHI_UPDATE_SCREENSHOTS") == "1" else "var/screenshots"
)
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"
FAILING_IMPACTS = ("serious", "critical")
WAIT_SECONDS = 15


def _missing() -> str:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    return " and ".join(missing)


@pytest.fixture(scope="session")
def _chromium(tmp_path_factory):
    """One Chromium for the session; each test starts with no cookies (a fresh sign-in)."""
    if missing := _missing():
        if ON_CI:
            pytest.fail(f"{missing} missing: scripts/setup.sh --test installs chromium and chromium-driver")
        pytest.skip(f"{missing} missing (apt-get install chromium chromium-driver)")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "intl.accept_languages": "ja",
        },
    )
    # An explicit driver path: Selenium Manager (which could download a browser) is never asked.
    # Japanese as on a clerk's PC: date fields read yyyy/mm/dd, the PDF viewer speaks Japanese
    # (chromium takes its locale from LANGUAGE; the translations are Debian's chromium-l10n).
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "LANGUAGE": "ja"})
    driver = webdriver.Chrome(service=service, options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def browser(_chromium, live_server, monkeypatch, request, tmp_path):
    # The server's request threads close their database connection after each request, so none is
    # left open (chromium keeps its HTTP connections, and their threads, alive) when the test
    # database is dropped.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    driver = _chromium
    driver.delete_all_cookies()
    driver.get("about:blank")
    driver.get_log("browser")  # drop what an earlier test left
    for leftover in driver.downloads.iterdir():
        leftover.unlink()
    page = Browser(driver, live_server.url)
    yield page
    if getattr(request.node, "e2e_failed", False):
        # What the browser showed when the test failed (not in docs/: a failure is no screen).
        shot = tmp_path / "failure.png"
        driver.save_screenshot(str(shot))
        print(f"\nThe browser at {page.path} when the test failed: {shot}")
        print(driver.find_element("css selector", "body").text[:3000])
    page.check_console()


class Browser:
    """The browser as a test uses it: open pages, press keys, wait for what the user waits for,
    and after each page check the console; `screen()` checks accessibility and saves a screenshot."""

    def __init__(self, driver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    # Pages ---------------------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.settle()

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def settle(self) -> None:
        """Wait until the page has loaded and htmx has nothing in flight, then check the console."""
        self.wait_until(
            lambda d: d.execute_script(
                "return document.readyState === 'complete' && document.fonts.status === 'loaded'"
                " && !document.querySelector('.htmx-request')"
            ),
            "the page to finish loading",
        )
        self.check_console()

    def check_console(self) -> None:
        errors = [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not errors, f"browser console errors on {self.path}:\n" + "\n".join(errors)

    def status_of(self, path: str) -> int:
        """The HTTP status the signed-in browser gets for `path` (fetched from the page). The
        browser logs a refusal as a failed load; that line is expected here, any other is not."""
        status = self.driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
            fetch(arguments[0], {redirect: 'manual'}).then(r => done(r.status), e => done(String(e)));""",
            path,
        )
        url = self.base_url + path
        errors = [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
            and not (url in entry["message"] and f"status of {status}" in entry["message"])
        ]
        assert not errors, f"browser console errors fetching {path}:\n" + "\n".join(errors)
        return status

    # Finding and waiting -------------------------------------------------------------------

    def wait_until(self, condition, what: str, timeout: float = WAIT_SECONDS):
        # htmx replaces elements under the test's feet (the progress bar, every second): an
        # element gone stale is looked up again.
        return WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.1,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        ).until(condition, f"waited {timeout}s for {what} on {self.path}")

    def find(self, css: str, text: str | None = None):
        """The visible element matching `css` (and containing `text`), waiting for it to appear."""

        def found(driver):
            for element in driver.find_elements(By.CSS_SELECTOR, css):
                if element.is_displayed() and (text is None or text in element.text):
                    return element
            return False

        return self.wait_until(found, f"{css!r}" + (f" with {text!r}" if text else ""))

    def text(self, css: str = "main", *, showing: str | None = None) -> str:
        """The text of the element matching `css`; with `showing`, once it shows that text."""

        def read(driver):
            element = driver.find_element(By.CSS_SELECTOR, css)
            value = element.text if element.is_displayed() else element.get_attribute("textContent")
            return value if showing is None or showing in value else False

        return self.wait_until(read, f"{css!r}" + (f" to show {showing!r}" if showing else ""))

    @contextmanager
    def next_page(self):
        """Around an action that loads another page: wait until that page is there."""
        self.driver.execute_script("window.e2eLeaving = true")
        yield
        self.wait_until(lambda d: d.execute_script("return !window.e2eLeaving"), "the next page")
        self.settle()

    def click(self, css: str, text: str | None = None, *, loads: bool = True) -> None:
        """Click a link or button; `loads`: it opens another page (not a download or an htmx swap)."""
        element = self.find(css, text)
        if loads:
            with self.next_page():
                element.click()
        else:
            element.click()
            self.settle()

    def fill(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def fill_date(self, css: str, day) -> None:
        """Type a date into an <input type=date> in the order the browser's locale shows it."""
        order = self.driver.execute_script(
            "return new Intl.DateTimeFormat().formatToParts(new Date(2026, 10, 23))"
            ".map(p => p.type).filter(t => t !== 'literal')"
        )
        parts = {"year": f"{day:%Y}", "month": f"{day:%m}", "day": f"{day:%d}"}
        field = self.find(css)
        for number, part in enumerate(order, start=1):
            field.send_keys(parts[part])
            if part == "year" and number < len(order):
                field.send_keys(Keys.TAB)  # a year may have more digits: move on by hand
        assert field.get_attribute("value") == day.isoformat(), field.get_attribute("value")

    # The keyboard --------------------------------------------------------------------------

    def press(self, *keys: str) -> None:
        """Keys to whatever has the focus, as a person types them."""
        ActionChains(self.driver).send_keys(*keys).perform()

    def focused(self) -> str:
        return self.driver.execute_script(
            "const el = document.activeElement; return el ? (el.innerText || el.value || el.getAttribute('aria-label') || '') : '';"
        )

    def tab_to(self, text: str, *, limit: int = 60) -> None:
        """Press Tab until the focused element says `text` (as a keyboard user finds a link)."""
        for _ in range(limit):
            self.press(Keys.TAB)
            if text in self.focused():
                return
        raise AssertionError(f"{limit} presses of Tab never reached {text!r} on {self.path}")

    # Screens -------------------------------------------------------------------------------

    def screen(self, name: str, *, around: str | None = None) -> None:
        """The screen a person sees now: no serious accessibility problem, and a screenshot
        <SCREENSHOTS>/<name>.png, 1280 px wide: the page from the top (or from the element
        `around`, on a long page) down to 2400 px."""
        self.settle()
        self.check_accessibility(name)
        top = 0
        if around:
            top = max(0, int(self.driver.execute_script(
                "return arguments[0].getBoundingClientRect().top + window.scrollY", self.find(around)
            )) - 24)  # fmt: skip
        self.screenshot(name, top=top)

    def axe_violations(self) -> list[dict]:
        if not self.driver.execute_script("return typeof window.axe === 'object'"):
            # WebDriver scripts run outside the page's Content Security Policy.
            self.driver.execute_script(AXE.read_text(encoding="utf-8"))
            assert self.driver.execute_script("return axe.version") == AXE_VERSION
        result = self.driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']})
              .then(r => done(JSON.stringify(r.violations)))
              .catch(e => done(JSON.stringify({error: String(e)})));"""
        )
        violations = json.loads(result)
        assert isinstance(violations, list), violations
        return violations

    def check_accessibility(self, name: str) -> None:
        found = self.axe_violations()
        with open("/tmp/axe_report.txt", "a") as fh:
            fh.write(f"== {name} {self.path}\n" + describe_violations(found) + "\n")
        serious = [v for v in found if v["impact"] in FAILING_IMPACTS]
        assert not serious, (
            f"axe-core: {len(serious)} serious accessibility problems on {name} ({self.path}):\n"
            + (describe_violations(serious))
        )

    def screenshot(self, name: str, *, top: int = 0) -> Path:
        # No blinking text cursor: the same screen gives the same picture.
        self.driver.execute_script("document.documentElement.style.caretColor = 'transparent'")
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        height = min(int(metrics["cssContentSize"]["height"]) - top, MAX_SCREENSHOT_HEIGHT)
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": top, "width": WIDTH, "height": height, "scale": 1},
            },
        )
        self.driver.execute_script("document.documentElement.style.caretColor = ''")
        image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
        # 256 colours keep text sharp at a third of the size of a full-colour PNG.
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        image.save(path, optimize=True)
        return path

    def wait_for_pdf(self, iframe_css: str) -> None:
        """Wait until the PDF viewer is in the frame, and give it a moment to draw the first page."""
        self.wait_until(
            lambda d: d.execute_script(
                "const doc = document.querySelector(arguments[0]).contentDocument;"
                "return !!doc && doc.readyState === 'complete' && doc.contentType === 'application/pdf';",
                iframe_css,
            ),
            "the PDF viewer",
        )
        time.sleep(1.5)

    # Downloads -----------------------------------------------------------------------------

    def downloaded(self, suffix: str, timeout: float = WAIT_SECONDS) -> Path:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = [p for p in self.driver.downloads.iterdir() if p.suffix == suffix]
            if files:
                return files[0]
            time.sleep(0.1)
        raise AssertionError(f"no {suffix} file was downloaded in {timeout}s")


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)
