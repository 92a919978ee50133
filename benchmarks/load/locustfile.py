"""The load test's users (locust): staff on the pages they use most, a partner agency on the API, citizens on
the public pages. Run by benchmarks/bench_load.py, which prepares the installation and writes the sample of
records, users and keys this file reads from $SIJILL_LOAD_SAMPLE (JSON)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, task
from nacl.signing import SigningKey

SAMPLE = json.loads(Path(os.environ["SIJILL_LOAD_SAMPLE"]).read_text(encoding="utf-8"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    """Logs in once, then works: a form's page, then the pages the user opens from it."""

    abstract = True
    wait_time = between(0.5, 2)
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/accounts/login/", name="login page").text
        token = CSRF.search(page)[1]
        done = self.client.post("/accounts/login/", {"username": self.username, "password": SAMPLE["password"],
                                                     "csrfmiddlewaretoken": token},
                                name="login", allow_redirects=False)
        if done.status_code != 302:
            raise RuntimeError(f"{self.username} could not log in: HTTP {done.status_code}")

    def _htmx_post(self, path: str, data: dict, name: str):
        return self.client.post(path, data, name=name, headers={
            "X-CSRFToken": self.client.cookies.get("sijill_csrftoken", ""), "HX-Request": "true"})


class Analyst(Staff):
    weight = 4
    username = "analyst"

    @task(4)
    def search(self) -> None:
        person = random.choice(SAMPLE["people"])
        query = ({"national_id": person["national_id"]} if random.random() < 0.6
                 else {"name": person["name"], "governorate": person["governorate"]})
        self._htmx_post("/registry/search/", query, "search")

    @task(3)
    def person(self) -> None:
        self.client.get(f"/registry/people/{random.choice(SAMPLE['people'])['pk']}/", name="person")

    @task(2)
    def hits_review(self) -> None:
        self.client.get("/exchange/review/", name="hits review queue")
        if SAMPLE["hits"]:
            self.client.get(f"/exchange/hits/{random.choice(SAMPLE['hits'])}/", name="hit")


class Caseworker(Staff):
    weight = 2
    username = "caseworker"

    @task(1)
    def cases(self) -> None:
        self.client.get("/cases/", name="case list")

    @task(3)
    def case(self) -> None:
        if SAMPLE["cases"]:
            self.client.get(f"/cases/{random.choice(SAMPLE['cases'])}/", name="case")


def signed(header: dict, message: dict, key: SigningKey) -> dict:
    """A DCI envelope as an agency's own client signs it (docs/api.md): Ed25519 over the canonical JSON."""
    canonical = json.dumps({"header": header, "message": message}, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":")).encode("utf-8")
    return {"signature": base64.b64encode(key.sign(canonical).signature).decode("ascii"), "header": header,
            "message": message}


class Agency(HttpUser):
    """A partner agency's system looking people up by national ID: signed envelopes, its own token."""

    weight = 2
    wait_time = between(0.2, 1)

    def on_start(self) -> None:
        self.key = SigningKey(bytes.fromhex(SAMPLE["api_key"]))

    @task
    def lookup(self) -> None:
        ids = [random.choice(SAMPLE["people"])["national_id"] for _ in range(3)]
        items = [{"reference_id": f"r{i}", "timestamp": "2026-01-01T00:00:00+03:00",
                  "search_criteria": {"query_type": "idtype-value", "query": {"type": "NATIONAL_ID", "value": v}}}
                 for i, v in enumerate(ids)]
        header = {"version": SAMPLE["api_version"], "message_id": str(uuid.uuid4()),
                  "message_ts": dt.datetime.now(dt.UTC).isoformat(), "action": "search",
                  "sender_id": SAMPLE["api_sender"], "receiver_id": SAMPLE["api_receiver"], "total_count": len(items)}
        body = signed(header, {"transaction_id": "T", "search_request": items}, self.key)
        self.client.post("/api/v1/registry/sync/search", json=body, name="API lookup",
                         headers={"Authorization": f"Bearer {SAMPLE['api_token']}"})


class Citizen(HttpUser):
    """The public pages: a caller checking a tip's status, a visitor on the login page."""

    weight = 2
    wait_time = between(1, 3)

    @task(2)
    def tip_status(self) -> None:
        self.client.get("/tips/status/", name="tip status page")

    @task(1)
    def login_page(self) -> None:
        self.client.get("/accounts/login/", name="login page")
