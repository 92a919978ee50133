"""The visit form on a phone, in a real browser (Debian's Chromium via Playwright) against the real server
(`sijill serve`, its own database): the connection drops while the researcher sends the report; it stays on
the phone and goes when the connection returns, once, under the site's Content Security Policy."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path

import pytest
from served import ARGS, CHROMIUM, require_browser, server_env, serving, sijill

HERE = Path(__file__).parent
SEED = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
import datetime as dt
from test_eligibility_fixtures import household
from sijill.accounts.models import User
from sijill.cases import workflow
from sijill.cases.services import open_or_join_case
(head, *_), _ = household("HH-V1", "بغداد", "أرملة", dt.date(2020, 1, 1), [("REG-V1", "زينب", "head")], 125000)
researcher = User.objects.create_user("researcher", password="visit-pass-1", role="field_researcher",
                                      governorates=["بغداد"])
case = open_or_join_case(head, source="tip", actor=None, reason="بلاغ")
workflow.assign(case, researcher, actor=None, reason="تكليف")
print(case.pk)
"""
REPORT = """
import json
from PIL import Image
from sijill.cases.models import Visit
v = Visit.objects.get()
print(json.dumps({"present": v.household_present, "conditions": v.living_conditions, "lat": float(v.latitude),
                  "signature": v.signature[:22], "received": v.submitted_at.isoformat(), "state": v.case.state,
                  "photo": max(Image.open(v.photos.get().image.open("rb")).size), "visits": Visit.objects.count()}))
"""


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def wait(page, condition: str, seconds: float = 15) -> None:
    """Poll ``condition`` in the page (``wait_for_function`` evaluates a string, which the CSP refuses). The
    page may navigate away while it is polled (the outbox, once empty, goes back to the list): then the
    condition is asked again of the new page."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + seconds
    while True:
        try:
            if page.evaluate(condition):
                return
        except Error as e:
            if "context was destroyed" not in str(e):
                raise
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    env = server_env(tmp_path_factory.mktemp("visits"))
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    case = int(sijill("manage", "shell", "-c", SEED, env=env).split()[-1])
    with serving(env) as base:
        yield base, case, env


def test_a_report_written_offline_is_sent_when_the_connection_returns(served):
    from playwright.sync_api import sync_playwright

    base, case, env = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, geolocation={
            "latitude": 33.3128, "longitude": 44.3615}, permissions=["geolocation"])
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "researcher")
        page.fill("#id_password", "visit-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/cases/visits/{case}/")
        page.check("input[name=household_present][value=false]")
        page.select_option("select[name=living_conditions]", "comfortable")
        page.fill("textarea[name=observations]", "منزل حديث ومولدة أهلية في الحديقة")
        page.select_option("select[name=recommendation]", "confirmed")
        page.set_input_files("input[name=photos]", files=[{"name": "house.jpg", "mimeType": "image/jpeg",
                                                           "buffer": _photo()}])
        page.click("#gps-button")
        wait(page, "() => document.querySelector('[name=latitude]').value !== ''")
        pad = page.locator("#signature-pad").bounding_box()
        page.mouse.move(pad["x"] + 20, pad["y"] + 40)
        page.mouse.down()
        page.mouse.move(pad["x"] + 120, pad["y"] + 90, steps=8)
        page.mouse.up()

        context.set_offline(True)
        page.click("button[type=submit]")
        wait(page, "() => JSON.parse(localStorage.getItem('sijill.visits.outbox') || '[]').length === 1")
        assert "حُفظ على هذا الهاتف" in page.inner_text("#outbox-status")
        time.sleep(0.5)
        back_online = dt.datetime.now(dt.UTC)
        context.set_offline(False)  # the 'online' event: the outbox is sent
        wait(page, "() => JSON.parse(localStorage.getItem('sijill.visits.outbox') || '[]').length === 0")
        page.wait_for_url(f"{base}/cases/visits/")
        assert "لا توجد ملفات بانتظار زيارتك" in page.inner_text("main")
        browser.close()

    visit = json.loads(sijill("manage", "shell", "-c", REPORT, env=env).strip().splitlines()[-1])
    assert visit["visits"] == 1 and visit["present"] is False and visit["conditions"] == "comfortable"
    assert dt.datetime.fromisoformat(visit["received"]) >= back_online  # nothing arrived while offline
    assert round(visit["lat"], 4) == 33.3128 and visit["signature"] == "data:image/png;base64,"
    assert visit["photo"] == 1280 and visit["state"] == "visited"  # the photo was reduced on the phone


SECOND_CASE = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
import datetime as dt
from test_eligibility_fixtures import household
from sijill.accounts.models import User
from sijill.cases import workflow
from sijill.cases.services import open_or_join_case
(head, *_), _ = household("HH-V2", "بغداد", "أرملة", dt.date(2020, 1, 1), [("REG-V2", "مريم", "head")], 125000)
case = open_or_join_case(head, source="tip", actor=None, reason="بلاغ")
workflow.assign(case, User.objects.get(username="researcher"), actor=None, reason="تكليف")
print(case.pk)
"""


def test_a_report_saved_while_the_outbox_is_sending_is_not_lost(served):
    """The page starts sending an older report; the connection is slow; the researcher sends a new one
    meanwhile. When the older one is acknowledged, the new one must still be sent, not overwritten."""
    from playwright.sync_api import sync_playwright

    base, _first, env = served
    case = int(sijill("manage", "shell", "-c", SECOND_CASE, env=env).split()[-1])
    held = []

    def slow(route):
        if not held:
            held.append(route)  # the older report: left unanswered until the new one is saved
        else:
            route.continue_()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "researcher")
        page.fill("#id_password", "visit-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/cases/visits/{case}/")
        page.evaluate("""() => localStorage.setItem('sijill.visits.outbox', JSON.stringify([{case: '0',
            client_uuid: '00000000-0000-4000-8000-000000000001', observations: 'older'}]))""")
        page.route("**/cases/visits/upload/", slow)
        page.reload()
        deadline = time.monotonic() + 15
        while not held:
            assert time.monotonic() < deadline, "the older report was never sent"
            page.wait_for_timeout(100)
        page.check("input[name=household_present][value=true]")
        page.select_option("select[name=living_conditions]", "poor")
        page.fill("textarea[name=observations]", "أسرة فقيرة في بيت مستأجر")
        page.select_option("select[name=recommendation]", "cleared")
        page.click("button[type=submit]")
        wait(page, "() => JSON.parse(localStorage.getItem('sijill.visits.outbox') || '[]').length === 2")
        held[0].fulfill(status=200, content_type="application/json", body='{"visit": 0, "created": false}')
        page.wait_for_url(f"{base}/cases/visits/")
        assert page.evaluate("() => localStorage.getItem('sijill.visits.outbox')") == "[]"
        browser.close()

    stored = sijill("manage", "shell", "-c", "from sijill.cases.models import Visit; "
                     f"print(list(Visit.objects.filter(case_id={case}).values_list('observations', flat=True)))",
                     env=env)
    assert "أسرة فقيرة في بيت مستأجر" in stored.strip().splitlines()[-1]
