"""Damaan's public portal on a phone, in a real browser (Debian's Chromium via Playwright) against the real server
(`sijill serve`, its own database): an employer's representative registers an establishment online, the
directorate's officer asks for a correction and the representative reads it; a self-employed barber subscribes to
voluntary retirement in Arabic-Indic digits and pays a month; anyone verifies a certificate number. No page scrolls
sideways at 390 px."""

from __future__ import annotations

import pytest
from served import ARGS, CHROMIUM, require_browser, server_env, serving, sijill

PASSWORD = "browser-test-pass"
NEW_PASSWORD = "Raafidain-bakery-2026"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    env = server_env(tmp_path_factory.mktemp("damaan"))
    sijill("manage", "migrate", "--verbosity", "0", env=env)
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


def phone(browser):
    return browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{page.url} scrolls sideways on a phone"


def test_an_employer_registers_online_and_reads_the_officers_correction(server, browser):
    page = phone(browser)
    page.goto(f"{server}/damaan/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    fits(page)
    page.click("text=تسجيل منشأة")
    page.fill("#id_e-name", "مخبز الرافدين")
    page.fill("#id_e-employer", "حيدر كاظم جواد")
    page.select_option("#id_e-sector", "private")
    page.fill("#id_e-activity", "مخبز")
    page.select_option("#id_e-governorate", "بغداد")
    page.fill("#id_e-address", "الكرادة")
    page.fill("#id_e-registration_no", "١٢٣٤٥")
    page.fill("#id_a-username", "bakery")
    page.fill("#id_a-password", NEW_PASSWORD)
    page.fill("#id_a-password2", NEW_PASSWORD)
    fits(page)
    page.click("form.stack button.primary")
    page.wait_for_url("**/damaan/e/**")
    assert "بانتظار المراجعة" in page.inner_text("main")
    establishment = page.url
    fits(page)

    officer = phone(browser)
    officer.goto(f"{server}/accounts/login/")
    officer.fill("#id_username", "damaan")
    officer.fill("#id_password", PASSWORD)
    officer.click("button[type=submit]")
    officer.goto(f"{server}/damaan/staff/")
    fits(officer)
    officer.click("a[href$='/decide/']")
    officer.check("input[name=approve][value='0']")
    officer.fill("#id_note", "أرفقوا رقم السجل التجاري الصحيح")
    officer.click("form.stack button.primary")
    officer.wait_for_url(f"{server}/damaan/staff/")

    page.goto(establishment)
    assert "أرفقوا رقم السجل التجاري الصحيح" in page.inner_text("main")
    assert "مطلوب تصحيح" in page.inner_text("main")
    fits(page)


def test_a_barber_subscribes_and_pays_a_month_on_a_phone(server, browser):
    page = phone(browser)
    page.goto(f"{server}/damaan/join/voluntary/")
    fields = {"national_id": "١٩٨٢٠٣١٠٠٠٤٤", "given": "سلام", "father": "جبار", "grandfather": "حسن",
              "surname": "الكعبي", "mother": "حسنية عبد", "birth_date": "١٩٨٢-٠٣-١٠", "occupation": "حلاق"}
    for name, value in fields.items():
        page.fill(f"#id_p-{name}", value)
    page.select_option("#id_p-sex", "M")
    page.select_option("#id_p-governorate", "البصرة")
    page.select_option("#id_p-category", index=3)
    page.fill("#id_p-start", page.evaluate("new Date().toISOString().slice(0, 7)"))
    page.fill("#id_a-username", "barber")
    page.fill("#id_a-password", NEW_PASSWORD)
    page.fill("#id_a-password2", NEW_PASSWORD)
    fits(page)
    page.click("form.stack button.primary")
    page.wait_for_url("**/damaan/me/")
    assert "32500" in page.inner_text("#voluntary").replace(",", "").replace("٬", "")
    page.fill("#id_reference", "EP-٢٠٢٦-٧٧")
    page.click("#voluntary form.stack button.primary")
    page.wait_for_url("**/damaan/me/")
    assert "لا شيء للدفع الآن" in page.inner_text("#voluntary")
    assert "✓" in page.inner_text("#service")
    fits(page)


def test_anyone_verifies_a_number_and_learns_nothing_else(server, browser):
    page = phone(browser)
    page.goto(f"{server}/damaan/verify/")
    page.fill("#id_number", "abcd efgh jkmn")
    page.click("form.stack button.primary")
    assert "لا توجد شهادة بهذا الرقم" in page.inner_text("main")
    fits(page)
