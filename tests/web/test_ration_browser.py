"""The self-update portal in a real browser at a phone's width: a head of household signs in (Arabic-Indic
digits), reads their card, and asks to add a newborn with a photo of the birth certificate."""

from __future__ import annotations

import csv

import pytest
from served import ARGS, CHROMIUM, require_browser, server_env, serving, sijill

from sijill.synth.ration import generate_ration_world

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000008000000080800000000e164e157000000104944415478"
                    "9c633cc100014c0c1431003a0000d884c80ae90000000049454e44ae426082")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    require_browser()
    data = tmp_path_factory.mktemp("served")
    world = tmp_path_factory.mktemp("ration-world")
    generate_ration_world(world, 400, 5)
    env = server_env(data)
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    sijill("manage", "ration_import", "--centres", str(world / "ration/centres.csv"), "--agents",
           str(world / "ration/agents.csv"), str(world / "ration/cards.csv"), env=env)
    with open(world / "ration/cards.csv", encoding="cp1256", newline="") as f:
        head = next(r for r in csv.DictReader(f) if r["صلة القرابة"] == "رب الأسرة" and r["رقم البطاقة الوطنية"])
    pin = sijill("manage", "ration_pin", head["رقم البطاقة"], env=env).strip()
    with serving(env) as base:
        yield base, head, pin


def test_a_head_of_household_updates_the_card_on_a_phone(portal):
    from playwright.sync_api import sync_playwright

    base, head, pin = portal
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
        page.goto(f"{base}/ration/my/")
        html = page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        page.fill("#id_card", head["رقم البطاقة"].translate(ARABIC))
        page.fill("#id_national_id", head["رقم البطاقة الوطنية"])
        page.fill("#id_pin", "000000" if pin != "000000" else "111111")
        page.click("button[type=submit]")
        assert "لا تطابق" in page.inner_text("main")  # the same answer whatever detail was wrong
        page.fill("#id_national_id", head["رقم البطاقة الوطنية"])
        page.fill("#id_pin", pin.translate(ARABIC))
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url.endswith("/ration/my/card/"), page.inner_text("main")
        assert head["رقم البطاقة"] in page.inner_text("h1")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        page.click("text=طلب جديد")
        page.select_option("#id_kind", "newborn")
        page.fill("#id_given", "فاطمة")
        page.fill("#id_birth_date", "٢٠٢٥-٠٥-١٤")
        page.select_option("#id_sex", "F")
        page.set_input_files("#id_document", files=[{"name": "birth.png", "mimeType": "image/png", "buffer": PNG}])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the form scrolls sideways"
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url.endswith("/ration/my/card/"), page.locator(".errorlist").all_inner_texts()
        requests = page.inner_text("main")
        assert "إضافة مولود" in requests and "بانتظار المركز" in requests
        browser.close()
