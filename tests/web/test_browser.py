"""In a real browser (Debian's Chromium via Playwright) against the real server (`sijill serve`): log in,
search a person in Arabic, read the right-to-left page, and find it all in the auditor's trail."""

from __future__ import annotations

import shutil

import pytest
from conftest import DATA
from served import ARGS, CHROMIUM, require_browser, server_env, serving, sijill

PASSWORD = "browser-test-pass"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    data = tmp_path_factory.mktemp("served")
    env = server_env(data)
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    shutil.copy(DATA / "members.csv", data / "members.csv")
    sijill("import", "registry", str(data / "members.csv"), "--schema", "members", env=env)
    sijill("manage", "demo_users", "--password", PASSWORD, env=env)
    with serving(env) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_search_in_arabic_on_a_phone_and_the_trail_shows_it(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
    _log_in(page, server, "analyst")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    page.click("text=البحث في السجل")
    page.fill("#id_name", "محمد علي حسين")
    page.fill("#id_birth_year", "١٩٨٥")  # Arabic-Indic digits
    page.click("form.search button.primary")
    row = page.locator("tr.result")
    row.first.wait_for()
    assert row.count() == 1 and "الجبوري" in row.inner_text()
    assert "عُثر على شخص واحد" in page.inner_text("#results")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    row.locator("a").click()
    page.wait_for_url("**/registry/people/**")
    assert page.locator("h1").inner_text() == "مُحَمَّد علي حسين الجبوري"
    assert "198503021234" in page.inner_text("main")
    page.click("header form button:has-text('خروج')")
    page.close()

    auditor = browser.new_page()
    _log_in(auditor, server, "auditor")
    auditor.goto(f"{server}/audit/?actor=analyst")
    actions = auditor.locator("tr.entry td:nth-child(4)").all_inner_texts()
    assert actions == ["خروج", "اطلاع على سجل شخص", "بحث", "دخول"]
    auditor.click("text=افحص السلسلة")
    verdict = auditor.locator("#verification .verification")
    verdict.wait_for()
    assert "السلسلة سليمة" in verdict.inner_text()
    auditor.close()
