"""The checks every end-to-end test relies on catch what they are meant to catch: a serious
accessibility problem, a script error, a Content Security Policy violation."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.browser


def test_the_accessibility_check_fails_on_an_image_without_text(browser):
    browser.open(reverse("login"))
    browser.check_accessibility("sign-in")
    browser.driver.execute_script(
        "const img = document.createElement('img');"
        "img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';"
        "document.querySelector('main').append(img);"
    )
    with pytest.raises(AssertionError, match=r"\[critical\] image-alt"):
        browser.check_accessibility("sign-in with an image")


def test_the_console_check_fails_on_a_script_error(browser):
    browser.open(reverse("login"))
    browser.driver.execute_script("window.setTimeout(() => { throw new Error('e2e-boom'); })")
    with pytest.raises(AssertionError, match="e2e-boom"):
        browser.wait_until(_raises_on_console(browser), "the error in the console", timeout=5)


def test_the_console_check_fails_on_an_inline_script(browser):
    browser.open(reverse("login"))
    browser.driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.e2eRan = true';"
        "document.body.append(s);"
    )
    assert browser.driver.execute_script("return window.e2eRan") is None  # refused by the CSP
    with pytest.raises(AssertionError, match="Content Security Policy"):
        browser.wait_until(_raises_on_console(browser), "the refusal in the console", timeout=5)


def _raises_on_console(browser):
    """A wait condition: check the console (which raises on an error), else keep waiting."""

    def condition(driver):
        browser.check_console()
        return False

    return condition
