"""The hub as its own service: a whole cycle over HTTP with a hub process that holds no key, and the doors it keeps
shut (hits to the registry only, signed requests only, the upload checks)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from hub_world import PARTNERS, SIJILL, Holders, HubProcess

from sijill.demo.holders import REGISTRY
from sijill.hub import HubClient, HubError
from sijill.hub.store import HubStore, SecretInDataFolder
from sijill.identity import IDENTITY_VERSION
from sijill.pprl.format import TrustStore
from sijill.pprl.format.keyfiles import HOLDER_SECRET, LINKAGE_SECRET, REGISTRY_SECRET
from sijill.pprl.format.package import map_path
from sijill.pprl.format.schema import example_schemas, load_schema
from sijill.pprl.registry import RegistryKeys, open_hits


def participants(holders: Holders, only=PARTNERS, payload: dict | None = None) -> dict:
    """What the registry tells the hub of each agency: its key, its schema, the payload its agreement allows."""
    out = {}
    for agency in only:
        schema = load_schema(example_schemas()[agency])
        out[agency] = {"ed25519": holders.signer(agency).verify_key.hex(), "schema": agency,
                       "payload_fields": (payload or {}).get(agency, list(schema.payload))}
    return out


def _secrets(holders: Holders) -> list[bytes]:
    """Every secret of every holder, raw and as written in its key file."""
    found = []
    for folder in holders.keys.values():
        for name in (LINKAGE_SECRET, HOLDER_SECRET, REGISTRY_SECRET):
            if (folder / name).exists():
                data = json.loads((folder / name).read_text())
                for value in data.values():
                    if isinstance(value, str) and len(value) == 64:
                        found += [value.encode(), bytes.fromhex(value)]
    assert len(found) >= 2 * (len(holders.keys) * 2 + 1)
    return found


@pytest.fixture(scope="module")
def cycle_run(hub: HubProcess, holders: Holders, tmp_path_factory):
    """The registry opens the cycle at the hub, every holder uploads, the registry runs it and fetches its hits."""
    registry = HubClient(hub.url, holders.signer(REGISTRY))
    registry.open_cycle(holders.cycle, IDENTITY_VERSION, participants(holders))
    verdicts = {h: HubClient(hub.url, holders.signer(h)).upload(holders.cycle, holders.archives[h])
                for h in (REGISTRY, *PARTNERS)}
    run = registry.start_run(holders.cycle)
    done = registry.wait_run(run["id"], poll=0.3)
    out = tmp_path_factory.mktemp("registry-side")
    hits = registry.fetch(run["id"], out / "hits.parquet") if done["state"] == "succeeded" else None
    return {"verdicts": verdicts, "run": done, "hits": hits, "client": registry}


def test_the_hub_process_completes_a_cycle_without_any_key_file(hub, holders, cycle_run):
    assert {h: v["status"] for h, v in cycle_run["verdicts"].items()} == dict.fromkeys((REGISTRY, *PARTNERS),
                                                                                       "accepted")
    assert cycle_run["run"]["state"] == "succeeded", cycle_run["run"]["error"]
    # the hub's whole environment and its command line name no key folder
    environ = Path(f"/proc/{hub.process.pid}/environ").read_bytes().split(b"\0")
    cmdline = Path(f"/proc/{hub.process.pid}/cmdline").read_bytes()
    for folder in holders.keys.values():
        assert not any(str(folder).encode() in v for v in environ)
        assert str(folder).encode() not in cmdline
    assert not any(v.startswith(b"SIJILL_DATA_DIR=") or v.startswith(b"DATABASE_URL=") for v in environ)
    # and it has no file of any key folder open
    fds = Path(f"/proc/{hub.process.pid}/fd")
    opened = [os.readlink(fd) for fd in fds.iterdir() if fds.exists()]
    assert not [p for p in opened for folder in holders.keys.values() if p.startswith(str(folder))]


def test_no_file_the_hub_writes_holds_a_secret(hub, holders, cycle_run):
    secrets = _secrets(holders)
    files = [p for p in hub.data.rglob("*") if p.is_file()]
    assert any(p.name == "hub.sqlite3" for p in files) and any(p.name == "manifest.json" for p in files)
    assert not [p for p in files if p.name.endswith(".secret")]
    for path in files:
        body = path.read_bytes()
        assert not [s for s in secrets if s in body], f"{path} holds a holder's secret"


def test_the_registry_opens_the_hits_it_fetched_and_they_are_the_worlds_links(holders, cycle_run):
    trust = TrustStore({h: holders.signer(h).verify_key for h in (REGISTRY, *PARTNERS)})
    registry_map = map_path(holders.archives[REGISTRY].with_suffix(".pkg"))
    opened = open_hits(cycle_run["hits"], RegistryKeys.load(holders.keys[REGISTRY]), [registry_map], trust)
    with open(holders.world / "truth" / "truth.csv", encoding="utf-8", newline="") as f:
        truth = list(csv.DictReader(f))
    person = {(t["agency"], t["record_id"]): t["person_id"] for t in truth}
    exact = [h for h in opened.rows if h.match_class == "exact"]
    assert len(exact) >= 10
    right = sum(person.get(("registry", h.registry_record_id)) == person.get((h.agency, h.partner_record_id))
                for h in exact)
    assert right == len(exact)
    assert {h.agency for h in opened.rows} == set(PARTNERS)


def test_retention_the_hub_deletes_encodings_after_the_run_and_hits_once_delivered(hub, holders, cycle_run):
    run = cycle_run["run"]
    assert not list(hub.data.rglob("encodings.parquet"))
    assert len(run["log"]["retention"]) == 1 + len(PARTNERS)
    registry = cycle_run["client"]
    registry.delivered(run["id"])
    assert not list(hub.data.rglob("hits.parquet"))
    with pytest.raises(HubError) as gone:
        registry.fetch(run["id"], hub.data.parent / "again.parquet")
    assert gone.value.status == 410


def test_hits_go_to_the_registry_only(hub, holders, cycle_run):
    for agency in PARTNERS:
        court = HubClient(hub.url, holders.signer(agency))
        for call in (lambda c=court: c.fetch(cycle_run["run"]["id"], hub.data.parent / "stolen.parquet"),
                     lambda c=court: c.run(cycle_run["run"]["id"]), lambda c=court: c.cycle(holders.cycle),
                     lambda c=court: c.start_run(holders.cycle)):
            with pytest.raises(HubError) as refused:
                call()
            assert refused.value.status == 403 and refused.value.code == "role.forbidden"
        own = court.packages(holders.cycle)["packages"]
        assert own and {p["holder"] for p in own} == {agency}  # an agency sees its own verdicts, nobody else's
        assert "runs" not in court.packages(holders.cycle)


def test_unsigned_altered_and_replayed_requests_are_refused(hub, holders):
    import time
    import urllib.error
    import urllib.request

    from sijill.hub import signing

    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(f"{hub.url}/cycles/{holders.cycle}")
    assert unsigned.value.code == 401
    signer = holders.signer(REGISTRY)
    when, nonce, sha = int(time.time()), "n-" + os.urandom(8).hex(), signing.body_sha256(b"")
    signature = signer.sign(signing.signed_bytes("GET", f"/cycles/{holders.cycle}", when, nonce, sha)).hex()
    headers = {signing.HOLDER: REGISTRY, signing.TIME: str(when), signing.NONCE: nonce,
               signing.CONTENT_SHA256: sha, signing.SIGNATURE: signature}
    with urllib.request.urlopen(urllib.request.Request(f"{hub.url}/cycles/{holders.cycle}", headers=headers)) as r:
        assert json.loads(r.read())["cycle"] == holders.cycle
    with pytest.raises(urllib.error.HTTPError) as replayed:
        urllib.request.urlopen(urllib.request.Request(f"{hub.url}/cycles/{holders.cycle}", headers=headers))
    assert replayed.value.code == 409
    other = {**headers, signing.NONCE: nonce + "x"}  # the signature no longer matches the request
    with pytest.raises(urllib.error.HTTPError) as altered:
        urllib.request.urlopen(urllib.request.Request(f"{hub.url}/cycles/{holders.cycle}", headers=other))
    assert altered.value.code == 403


def test_a_hub_refuses_a_data_folder_that_holds_a_key_file(tmp_path, holders):
    shutil.copytree(holders.keys["courts"], tmp_path / "data" / "keys")
    with pytest.raises(SecretInDataFolder):
        HubStore(tmp_path / "data")


def test_the_hub_command_has_no_setting_for_a_key_folder():
    import subprocess

    help_text = subprocess.run([*SIJILL, "hub", "serve", "--help"], capture_output=True, text=True,
                               env={**os.environ, "COLUMNS": "200"}).stdout
    options = {w.strip(",") for w in help_text.split() if w.startswith("--")}
    assert options == {"--data", "--host", "--port", "--max-mb", "--help"}
