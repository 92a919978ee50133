"""The interview form on a researcher's phone (390 px), in Chromium against the real server: the roster comes
prefilled from the registry, skip logic hides and shows questions as the XLSForm says, the connection drops as
the interview is sent, it waits in the outbox and arrives once when the connection returns."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from served import ARGS, CHROMIUM, require_browser, server_env, serving, sijill

SEED = """
import datetime as dt
from sijill.accounts.models import User
from sijill.registry.models import Household, Membership, Person
from sijill.survey import campaigns
household = Household.objects.create(household_id="HH-S1", governorate="بغداد", district="الكرخ")
for i, (given, relation, year, sex) in enumerate([("حسن", "head", 1975, "M"), ("زينب", "spouse", 1980, "F")]):
    person = Person.objects.create(record_id=f"S1-{i}", given=given, father="علي", surname="الربيعي",
                                   birth_year=year, sex=sex, governorate="بغداد")
    Membership.objects.create(household=household, person=person, relation=relation)
User.objects.create_user("researcher", password="survey-pass-1", role="field_researcher", governorates=["بغداد"])
campaign = campaigns.create(code="RS-B", name="تجربة", governorates=["بغداد"], districts=[],
                            starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 1, 1),
                            questionnaire=campaigns.default_questionnaire(), actor="test")
campaigns.assign(campaign, actor="test")
print(campaign.targets.get().pk)
"""
RESULT = """
import json
from sijill.survey.models import Interview
i = Interview.objects.get()
print(json.dumps({"n": Interview.objects.count(), "version": i.form_version, "lat": i.start_lat, "end": i.end_lat,
                  "members": i.members, "rent": i.answers.get("rent_iqd"), "result": i.pmt_result,
                  "received": i.received_at.isoformat(), "signature": i.signature[:22]}))
"""


def wait(page, condition: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    env = server_env(tmp_path_factory.mktemp("survey"))
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    target = int(sijill("manage", "shell", "-c", SEED, env=env).split()[-1])
    with serving(env) as base:
        yield base, target, env


def test_an_interview_sent_offline_arrives_once_when_the_connection_returns(served):
    from playwright.sync_api import sync_playwright

    base, target, env = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, geolocation={
            "latitude": 33.3128, "longitude": 44.3615}, permissions=["geolocation"])
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "researcher")
        page.fill("#id_password", "survey-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/survey/households/{target}/interview/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
        wait(page, "() => document.getElementById('gps-start').textContent !== ''")
        assert page.is_hidden(".q[data-name=area_type]")  # skip logic: nothing asked before consent
        page.select_option("select[name=consent]", "yes")
        assert page.is_visible(".q[data-name=area_type]")
        rows = page.locator("[data-repeat=members] .rows > .row")
        assert rows.count() == 2  # the roster from the registry
        assert rows.nth(0).locator("[data-q=member_name]").input_value() == "حسن علي الربيعي"
        for i in range(2):
            row = rows.nth(i)
            for question in ("disability", "chronic_illness", "works"):
                row.locator(f"select[data-q={question}]").select_option("no")
        page.select_option("select[name=area_type]", "urban")
        assert page.is_hidden(".q[data-name=rent_iqd]")
        page.select_option("select[name=dwelling_tenure]", "rented")
        assert page.is_visible(".q[data-name=rent_iqd]")
        page.fill("input[name=rent_iqd]", "٢٥٠٠٠٠")  # Arabic-Indic digits
        for name, value in (("wall_material", "brick"), ("dwelling_condition", "poor"), ("water", "network"),
                            ("loan", "no"), ("care_forgone", "yes")):
            page.select_option(f"select[name={name}]", value)
        page.fill("input[name=rooms]", "2")
        page.fill("input[name=electricity_hours]", "10")
        page.check("input[name=income_sources][value=daily_labour]")
        page.fill("input[name=monthly_income_iqd]", "300000")
        page.locator("#signature-pad").scroll_into_view_if_needed()
        pad = page.locator("#signature-pad").bounding_box()
        page.mouse.move(pad["x"] + 20, pad["y"] + 40)
        page.mouse.down()
        page.mouse.move(pad["x"] + 120, pad["y"] + 90, steps=8)
        page.mouse.up()

        context.set_offline(True)
        page.click("button[type=submit]")
        wait(page, "() => JSON.parse(localStorage.getItem('sijill.survey.outbox') || '[]').length === 1")
        assert "حُفظ على هذا الهاتف" in page.inner_text("#outbox-status")
        time.sleep(0.5)
        back_online = dt.datetime.now(dt.UTC)
        context.set_offline(False)
        page.wait_for_url(f"{base}/survey/mine/", timeout=20_000)
        assert page.evaluate("JSON.parse(localStorage.getItem('sijill.survey.outbox') || '[]').length") == 0
        browser.close()

    item = json.loads(sijill("manage", "shell", "-c", RESULT, env=env).strip().splitlines()[-1])
    assert item["n"] == 1 and item["version"] == "2026.1" and item["members"] == 2 and item["rent"] == 250000
    assert round(item["lat"], 4) == 33.3128 and round(item["end"], 4) == 33.3128
    assert item["signature"] == "data:image/png;base64," and item["result"]
    assert dt.datetime.fromisoformat(item["received"]) >= back_online
