"""In a real browser against the real server, the real background worker and the linkage hub (its own process):
an analyst opens a cycle, sees the key reminder and which packages the hub holds, starts the run, and the page
follows the run live (htmx) while a `sijill worker` process takes it — here to a clean failure, since the
registry's package file is gone and the hub refuses what the worker sends it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from served import ARGS, CHROMIUM, SIJILL, hub_serving, require_browser, server_env, serving
from test_browser import PASSWORD

SETUP = """
from sijill.web.bootstrap import setup
setup()
from django.core.management import call_command
from sijill.accounts.demo import create_demo_users
call_command("migrate", verbosity=0)
create_demo_users(password=PASSWORD)
from sijill.exchange import cycles
from sijill.exchange.models import Package
from sijill.exchange.seed import seed_agencies
seed_agencies()
cycle = cycles.open_cycle()
Package.objects.create(cycle=cycle, agency=None, status="accepted", sha256="0" * 64, records=1000,
                       path=f"packages/{cycle.code}/removed.pkg")
print(cycle.code)
"""
# the courts join the cycle, their key is registered (the registry tells the hub) and they send their package
COURTS = """
import sys
from pathlib import Path
from sijill.web.bootstrap import setup
setup()
from sijill.exchange import storage, trust
from sijill.exchange.models import Agency
from sijill.hub import HubClient
from sijill.pprl.format.archive import pack
from sijill.pprl.format.schema import example_schemas, load_schema
from sijill.pprl.holder import HolderKeys, encode, init_keys
from sijill.tabular import read_batches
root = Path(sys.argv[1])
init_keys(root / "courts-keys", "courts", join=storage.registry_keys_dir())
trust.register_key(Agency.objects.get(code="courts"), (root / "courts-keys" / "holder.pub").read_text())
keys = HolderKeys.load(root / "courts-keys")
result = encode(read_batches(Path(sys.argv[2])).batches, load_schema(example_schemas()["courts"]), keys,
                root / "courts.pkg", agency="courts")
with open(root / "courts.tar", "wb") as f:
    pack(result.package, f)
print(HubClient(sys.argv[3], keys).upload(keys.cycle, root / "courts.tar")["status"])
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from test_api_packages import COURT, COURT_HEADER

    require_browser()
    root = tmp_path_factory.mktemp("served-exchange")
    env = server_env(root / "ministry")
    with hub_serving(root / "hub") as hub:
        env["SIJILL_HUB_URL"] = hub
        # the database, the demo users, a cycle with the registry's package recorded (its file is not there:
        # the run will fail, cleanly)
        setup = subprocess.run([sys.executable, "-c", SETUP.replace("PASSWORD", repr(PASSWORD))], env=env,
                               check=True, timeout=120, capture_output=True, text=True)
        code = setup.stdout.strip().splitlines()[-1]
        # the hub's operator trusts the registry's public key, handed over once
        registry_pub = root / "ministry" / "keys" / "registry" / "holder.pub"
        subprocess.run([SIJILL, "hub", "trust", "--data", str(root / "hub"), str(registry_pub)], check=True,
                       timeout=60, capture_output=True)
        extract = root / "courts.csv"
        extract.write_text("\n".join(",".join(r) for r in [COURT_HEADER, *COURT]) + "\n", encoding="utf-8")
        sent = subprocess.run([sys.executable, "-c", COURTS, str(root), str(extract), hub], env=env, check=True,
                              timeout=120, capture_output=True, text=True)
        assert sent.stdout.strip().splitlines()[-1] == "accepted", sent.stderr
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
        assert "HubError" in run.inner_text() and run.get_attribute("hx-trigger") is None, "polling stops"
        page.reload()
        expect(page.locator("h1")).to_contain_text("مفتوحة")  # the cycle is open again: it can be run again
        browser.close()
