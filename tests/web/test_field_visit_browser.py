"""A field visit on a phone (390 px, Debian's Chromium via Playwright, the real `sijill serve`): the researcher
opens an assigned visit, sees where the household lives (a geo: link, no map tiles) and what to verify, answers
the checklist with its evidence, and the caseworker's case page shows the answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from served import ARGS, CHROMIUM, require_browser, server_env, serving, sijill
from test_cases_browser import wait

HERE = Path(__file__).parent
SHOTS = Path(os.environ["SIJILL_SCREENSHOTS"]) if os.environ.get("SIJILL_SCREENSHOTS") else None  # to look at
SEED = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
import datetime as dt
from test_eligibility_fixtures import household, hit
from sijill.accounts.models import User
from sijill.cases import workflow
from sijill.cases.models import Case
from sijill.cycles.orchestrator import evaluate
from sijill.exchange.models import Cycle, Run
from sijill.exchange.seed import seed_agencies
from sijill.registry.models import HouseholdAddress, HouseholdLocation
seed_agencies()
(widow, _), _ = household("HH-F1", "بغداد", "أرملة", dt.date(2020, 1, 1), [("REG-F1", "زينب", "head"),
                          ("REG-F2", "حسن", "son")], 175000)
home = widow.membership.household
HouseholdAddress.objects.create(household=home, governorate="بغداد", district="الكرخ", nahiya="مركز قضاء الكرخ",
                                mahalla="905", zuqaq="12", dar="7", landmark="قرب جامع الرحمن",
                                phones="07701234567", source="households.csv")
HouseholdLocation.objects.create(household=home, latitude="33.312800", longitude="44.361500",
                                 observed_on=dt.date(2024, 5, 1), source="مسح الأسر السابق")
run = Run.objects.create(cycle=Cycle.objects.create(code="2025-06"))
hit(run, widow, "courts", "SJC-9", {{"رقم العقد": "2023/77", "صفة الطرف": "الزوجة", "تاريخ العقد": "15/03/2023",
                                    "المحكمة": "محكمة الأحوال الشخصية في الكرخ"}})
evaluate(run.cycle, actor="test", as_of=dt.date(2025, 6, 30))
researcher = User.objects.create_user("researcher", password="visit-pass-1", role="field_researcher",
                                      governorates=["بغداد"])
User.objects.create_user("caseworker", password="case-pass-1", role="caseworker", governorates=["بغداد"])
case = Case.objects.get(person=widow)
workflow.assign(case, researcher, actor=None, reason="تكليف")
print(case.pk)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    env = server_env(tmp_path_factory.mktemp("field"))
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    case = int(sijill("manage", "shell", "-c", SEED, env=env).split()[-1])
    with serving(env) as base:
        yield base, case, env


def login(page, base, user, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_researcher_on_a_phone_sees_the_address_answers_the_checklist_and_the_case_shows_it(served):
    from playwright.sync_api import sync_playwright

    base, case, env = served
    fetched = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.on("request", lambda r: fetched.append(r.url))
        login(page, base, "researcher", "visit-pass-1")
        page.goto(f"{base}/cases/visits/")
        assert "محلة 905، زقاق 12، دار 7" in page.inner_text("ul.round")
        page.click(f"a[href='/cases/visits/{case}/']")
        where = page.inner_text("#household-address")
        assert "محلة 905" in where and "قرب جامع الرحمن" in where and "07701234567" in where
        assert page.get_attribute("#geo-link", "href") == "geo:33.312800,44.361500"
        checklist = page.inner_text("#checklist")
        assert "ما يجب التحقق منه" in checklist and "الحالة الزوجية للمستفيدة" in checklist
        assert "2023/77" not in page.inner_text("main")  # the agency's record stays with the caseworker
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        assert page.evaluate("() => document.querySelectorAll('input:checked').length") == 0  # nothing chosen

        items = page.eval_on_selector_all("#checklist input[type=radio][value=established]",
                                          "els => els.map(e => e.name)")
        assert len(items) == 4
        for name in items:
            item = name.rsplit("-", 1)[1]
            answer = "not_established" if item in ("marital_status", "husband_present") else "established"
            page.check(f"input[name='{name}'][value='{answer}']")
            page.select_option(f"select[name='{name.replace('check-', 'evidence-', 1)}']",
                               "document" if item == "marital_status" else "seen")
        page.fill(f"input[name='{items[1].replace('check-', 'checknote-', 1)}']", "البطاقة الوطنية: أرملة")
        page.check("input[name=household_present][value=true]")
        page.select_option("select[name=living_conditions]", "poor")
        page.fill("textarea[name=observations]", "أرملة تسكن مع ابنها، لا أثر لزوج في المنزل")
        page.select_option("select[name=recommendation]", "cleared")
        if SHOTS:
            page.screenshot(path=str(SHOTS / "visit-390.png"), full_page=True)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/cases/visits/")
        wait(page, "() => JSON.parse(localStorage.getItem('sijill.visits.outbox') || '[]').length === 0")

        page.context.clear_cookies()
        login(page, base, "caseworker", "case-pass-1")
        page.goto(f"{base}/cases/{case}/")
        verification = page.inner_text("ul.checks")
        assert "الحالة الزوجية للمستفيدة" in verification and "لم يثبت" in verification
        assert "الاطلاع على مستند" in verification and "البطاقة الوطنية: أرملة" in verification
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        browser.close()
    assert all(u.startswith(base) for u in fetched), [u for u in fetched if not u.startswith(base)]
    stored = sijill("manage", "shell", "-c", "from sijill.cases.models import VisitCheck; "
                    "print(sorted(VisitCheck.objects.values_list('item', 'answer')))", env=env)
    assert "('marital_status', 'not_established')" in stored and "('identity', 'established')" in stored

