"""In a real browser against the real server and the real background worker: an analyst opens a cycle, sees
the key reminder and which packages are in, starts the run, and the page follows the run live (htmx) while a
`sijill worker` process takes it — here to a clean failure, since the packages' files are gone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from served import ARGS, CHROMIUM, require_browser, server_env, serving
from test_browser import PASSWORD

SETUP = """
from sijill.web.bootstrap import setup
setup()
from django.core.management import call_command
from sijill.accounts.demo import create_demo_users
call_command("migrate", verbosity=0)
create_demo_users(password=PASSWORD)
from sijill.exchange import cycles
from sijill.exchange.models import Agency, Package
from sijill.exchange.seed import seed_agencies
seed_agencies()
cycle = cycles.open_cycle()
for agency in (None, Agency.objects.get(code="courts")):
    Package.objects.create(cycle=cycle, agency=agency, status="accepted", sha256="0" * 64, records=1000,
                           path=f"packages/{cycle.code}/removed.pkg")
print(cycle.code)
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    env = server_env(tmp_path_factory.mktemp("served-exchange"))
    # one process: the database, the demo users, a cycle with the registry's and the courts' packages recorded
    # (their files are not there: the run will fail, cleanly)
    setup = subprocess.run([sys.executable, "-c", SETUP.replace("PASSWORD", repr(PASSWORD))], env=env, check=True,
                           timeout=120, capture_output=True, text=True)
    code = setup.stdout.strip().splitlines()[-1]
    with serving(env) as base:
        yield base, env, code


def test_an_analyst_starts_a_run_and_the_page_follows_it_live(served):
    from playwright.sync_api import expect, sync_playwright

    base, env, code = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.click("header nav >> text=دورات المطابقة")
        page.click(f"text={code}")
        main = page.locator("main")
        expect(main).to_contain_text("تذكير بالمفاتيح")
        expect(main).to_contain_text("sijill keys init --join")
        assert main.locator("tr.missing").count() == 9, "nine agencies have not sent their package"

        page.click("#start-run")
        run = page.locator("div.run").first
        expect(run).to_contain_text("في الانتظار")  # queued: no worker yet
        assert run.get_attribute("hx-trigger") == "every 2s"

        worker = subprocess.Popen([str(Path(sys.executable).with_name("sijill")), "worker", "--batch",
                                   "--interval", "0.2"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            expect(page.locator("div.run").first).to_contain_text("فشل", timeout=20_000)  # no reload
        finally:
            worker.wait(timeout=30)
        run = page.locator("div.run").first
        assert "PackageError" in run.inner_text() and run.get_attribute("hx-trigger") is None, "polling stops"
        page.reload()
        expect(page.locator("h1")).to_contain_text("مفتوحة")  # the cycle is open again: it can be run again
        browser.close()
