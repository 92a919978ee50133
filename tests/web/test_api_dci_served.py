"""The DCI client of test_api_dci against a real `sijill serve` over HTTP, with the real worker
(`sijill worker --batch`): what a ministry's or OpenSPP's DCI client would meet. The client uses nothing of
Sijill but the HTTP API; the setup is the administrator's (the command line)."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import pytest
from conftest import DATA
from nacl.signing import SigningKey
from served import server_env, serving, sijill
from test_api_dci import (
    CORE,
    OFFICIAL,
    Callbacks,
    answer_schema,
    assert_valid,
    dci_verify,
    death_event,
    envelope,
    request_schema,
    search_message,
)

SETUP = """
import json
from sijill.accounts.models import User
from sijill.api import tokens
from sijill.api.models import Partner
from sijill.exchange.models import Agency
from sijill.exchange.seed import seed_agencies

seed_agencies()
Agency.objects.filter(code="deaths").update(signing_key=json.dumps({{"holder": "deaths", "ed25519": "{crvs}"}}))
Partner.objects.create(sender_id="deaths", name="Civil status", civil_registry=True)
Partner.objects.create(sender_id="moh-portal", name="MoH portal", callback_url="{callback}")
analyst = User.objects.create_user("analyst", password="x-analyst-pass", role="analyst")
officer = User.objects.create_user("crvs", password="x-crvs-pass", role="agency_data_officer", agency="deaths")
_, portal = tokens.issue(analyst, name="portal", sender_id="moh-portal", sender_key="{portal}")
_, crvs = tokens.issue(officer, name="crvs")
print(json.dumps({{"portal": portal, "crvs": crvs}}))
"""

CHECK = """
import json
from sijill.cases.models import Case
print(json.dumps([[c.person.record_id, c.source, c.state, [f.rule.code for f in c.findings.all()]]
                  for c in Case.objects.all()]))
"""


def call(base: str, path: str, body: dict | None, token: str = "") -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("dci")
    env = server_env(data)
    sijill("manage", "migrate", "--verbosity", "0", env=env)
    for schema in ("members", "households", "enrolments"):
        shutil.copy(DATA / f"{schema}.csv", data / f"{schema}.csv")
        sijill("import", "registry", str(data / f"{schema}.csv"), "--schema", schema, env=env)
    keys = {"portal": SigningKey.generate(), "crvs": SigningKey.generate()}
    callbacks = Callbacks()
    out = sijill("manage", "shell", "-c", SETUP.format(crvs=keys["crvs"].verify_key.encode().hex(),
                                                       portal=keys["portal"].verify_key.encode().hex(),
                                                       callback=callbacks.url), env=env)
    token = json.loads(out.strip().splitlines()[-1])
    with serving(env) as base:
        yield {"base": base, "env": env, "keys": keys, "tokens": token, "callbacks": callbacks}
    callbacks.close()


def test_a_dci_client_searches_verifies_and_notifies_over_http(served):
    base, keys, token = served["base"], served["keys"], served["tokens"]
    status, jwks = call(base, "/.well-known/jwks.json", None)
    assert status == 200 and jwks["keys"][0]["crv"] == "Ed25519"

    body = envelope("search", search_message(("UIN", "198503021234")), keys["portal"], "moh-portal")
    status, answer = call(base, "/api/v1/registry/sync/search", body, token["portal"])
    assert status == 200
    assert_valid(OFFICIAL, answer_schema("/registry/sync/search", 200, OFFICIAL), answer)
    assert dci_verify(answer, jwks) == "sijill"
    assert answer["message"]["search_response"][0]["data"]["registered"] is True

    body = envelope("search", search_message(("UIN", "198503021234")), keys["portal"], "moh-portal")
    status, ack = call(base, "/api/v1/registry/search", body, token["portal"])
    assert status == 202 and ack["message"]["ack_status"] == "ACK"
    sijill("worker", "--batch", env=served["env"])
    path, on_search = served["callbacks"].received[-1]
    assert path == "/dci/registry/on-search"
    assert_valid(OFFICIAL, request_schema("/registry/on-search"), on_search)
    assert dci_verify(on_search, jwks) == "sijill"
    assert on_search["message"]["correlation_id"] == ack["message"]["correlation_id"]

    notify = envelope("notify", {"transaction_id": "N-1", "notify_event": [death_event("198503021234"),
                                                                           death_event("199001011111")]},
                      keys["crvs"], "deaths", status="succ")
    status, ack = call(base, "/api/v1/registry/notify", notify, token["crvs"])
    assert status == 202 and ack["message"]["ack_status"] == "ACK"
    assert_valid(CORE, answer_schema("/registry/notify", 202, CORE), ack)
    cases = json.loads(sijill("manage", "shell", "-c", CHECK, env=served["env"]).strip().splitlines()[-1])
    assert cases == [["REG-1", "civil_registry", "opened", ["death"]]]
