"""Agencies' package upload and status through the API, with the real upload checks
(``sijill.exchange.uploads.receive_package``): accepted, refused for a bad signature or a payload field the
agreement does not allow, and a file that is not the one the envelope names."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from conftest import make_user
from django.test import Client
from nacl.signing import SigningKey

from sijill.api import envelope, tokens
from sijill.exchange.archive import pack
from sijill.exchange.models import Agency, Agreement, Cycle, Package, Run
from sijill.exchange.seed import seed_agencies
from sijill.exchange.trust import register_key
from sijill.pprl.format import load_schema
from sijill.pprl.format.keyfiles import HOLDER_PUBLIC, HOLDER_SECRET
from sijill.pprl.format.schema import example_schemas
from sijill.pprl.holder import HolderKeys, encode, init_keys
from sijill.tabular import read_batches

pytestmark = pytest.mark.django_db
UPLOAD, STATUS = "/api/v1/packages/upload", "/api/v1/packages/sync/status"
COURT_HEADER = ["رقم السجل", "الاسم الرباعي", "اسم الام", "تاريخ الميلاد", "رقم البطاقة الوطنية", "المحافظة", "الجنس",
                "رقم العقد", "صفة الطرف", "تاريخ العقد", "المحكمة"]
COURT = [
    ["C-17", "محمد علي حسين الجبوري", "فاطمة كاظم", "1985-03-02", "198503021234", "بغداد", "ذكر", "17/2024", "الزوج",
     "2024-03-02", "الكرخ"],
    ["C-18", "زينب جاسم محمد", "خديجة عباس", "1990-07-15", "١٩٩٠٠٧١٥٤٣٢١", "بغداد", "أنثى", "18/2024", "الزوجة",
     "2024-04-11", "الرصافة"],
]


@pytest.fixture(scope="module")
def holders(tmp_path_factory) -> dict:
    """The registry's keys, the court's keys joined to its cycle, an impostor's keys (same name, another key),
    and one package archive signed by each of the two."""
    root = tmp_path_factory.mktemp("holders")
    info = init_keys(root / "registry", "registry")
    init_keys(root / "courts", "courts", join=root / "registry")
    init_keys(root / "impostor", "courts", join=root / "registry")
    extract = root / "courts.csv"
    extract.write_text("\n".join(",".join(row) for row in [COURT_HEADER, *COURT]) + "\n", encoding="utf-8")
    schema = load_schema(example_schemas()["courts"])
    archives = {}
    for who in ("courts", "impostor"):
        result = encode(read_batches(extract).batches, schema, HolderKeys.load(root / who),
                             root / f"{who}.pkg", agency="courts")
        buffer = io.BytesIO()
        pack(result.package, buffer)
        archives[who] = buffer.getvalue()
    seed = json.loads((root / "courts" / HOLDER_SECRET).read_text())["ed25519_seed"]
    return {"cycle": info.cycle, "archives": archives, "public": (root / "courts" / HOLDER_PUBLIC).read_text(),
            "signing": SigningKey(bytes.fromhex(seed))}


@pytest.fixture
def court(holders) -> dict:
    """The court registered with its key and agreement, the cycle open, and a data officer's token."""
    seed_agencies()
    agency = Agency.objects.get(code="courts")
    register_key(agency, holders["public"])
    cycle = Cycle.objects.create(code=holders["cycle"])
    officer = make_user("agency_data_officer", "court-officer", agency="courts")
    _, clear = tokens.issue(officer, name="courts system")
    return {"agency": agency, "cycle": cycle, "token": clear}


def upload(token: str, data: bytes, key: SigningKey, *, sha256: str | None = None, cycle: str | None = None):
    message = {"transaction_id": "T-7", "reference_id": "courts-2026-11",
               "package_sha256": sha256 or hashlib.sha256(data).hexdigest()}
    if cycle:
        message["cycle"] = cycle
    body = envelope.envelope(envelope.new_header("upload", "courts"), message, key)
    package = io.BytesIO(data)
    package.name = "courts.pkg.tar"
    return Client(enforce_csrf_checks=True).post(UPLOAD, {"envelope": json.dumps(body), "package": package},
                                                 HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def test_an_agency_uploads_its_package_and_sees_it_accepted(holders, court):
    response = upload(court["token"], holders["archives"]["courts"], holders["signing"], cycle=holders["cycle"])
    assert response.status_code == 200, response.content
    answer = response.json()["message"]["upload_response"]
    assert (answer["status"], answer["reference_id"]) == ("succ", "courts-2026-11")
    assert answer["package"]["status"] == "accepted"
    assert answer["package"]["records"] >= len(COURT)  # with the dummy records that hide the real count
    stored = Package.objects.get()
    assert (stored.agency.code, stored.cycle.code, stored.sha256) == \
        ("courts", holders["cycle"], hashlib.sha256(holders["archives"]["courts"]).hexdigest())

    run = Run.objects.create(cycle=court["cycle"], state="running", stage="matching", progress_done=3,
                             progress_total=10)
    run.packages.add(stored)
    body = envelope.envelope(envelope.new_header("status", "courts"), {"transaction_id": "T-8"}, holders["signing"])
    status = Client().post(STATUS, body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {court['token']}").json()
    assert status["header"]["action"] == "on-status"
    [seen] = status["message"]["status_response"]
    assert (seen["package_id"], seen["status"], seen["cycle"], seen["cycle_state"]) == \
        (stored.pk, "accepted", holders["cycle"], "open")
    assert [(r["state"], r["progress_done"], r["progress_total"]) for r in seen["runs"]] == [("running", 3, 10)]
    assert "hits" not in json.dumps(status)


def test_a_package_signed_with_another_key_is_refused_with_the_reason(holders, court):
    response = upload(court["token"], holders["archives"]["impostor"], holders["signing"])
    assert response.status_code == 422
    answer = response.json()["message"]["upload_response"]
    assert (answer["status"], answer["status_reason_code"]) == ("rjct", "rjct.package.refused")
    assert "not signed with the key registered for courts" in answer["status_reason_message"]
    assert Package.objects.get().status == "rejected"


def test_a_payload_field_the_agreement_does_not_allow_is_refused(holders, court):
    agreement = Agreement.objects.get(agency=court["agency"])
    agreement.allowed_payload_fields = [f for f in agreement.allowed_payload_fields if f != "المحكمة"]
    agreement.save()
    response = upload(court["token"], holders["archives"]["courts"], holders["signing"])
    assert response.status_code == 422
    reason = response.json()["message"]["upload_response"]["status_reason_message"]
    assert "does not allow" in reason and "المحكمة" in reason


def test_a_file_other_than_the_one_signed_is_refused_before_it_is_read(holders, court):
    response = upload(court["token"], holders["archives"]["courts"], holders["signing"], sha256="0" * 64)
    assert response.status_code == 400
    assert response.json()["message"]["error"]["code"] == "rjct.package_sha256.invalid"
    assert not Package.objects.exists()


def test_an_envelope_not_signed_with_the_agencys_key_is_refused(holders, court):
    response = upload(court["token"], holders["archives"]["courts"], SigningKey.generate())
    assert (response.status_code, response.json()["message"]["error"]["code"]) == (403, "err.signature.invalid")
    assert not Package.objects.exists()


def test_an_analyst_token_cannot_upload_for_an_agency(holders, court):
    key = SigningKey.generate()
    _, clear = tokens.issue(make_user("analyst"), name="x", sender_id="courts",
                            sender_key=key.verify_key.encode().hex())
    response = upload(clear, holders["archives"]["courts"], key)
    assert (response.status_code, response.json()["message"]["error"]["code"]) == (403, "err.role.forbidden")


def test_an_agency_sees_only_its_own_packages(holders, court):
    upload(court["token"], holders["archives"]["courts"], holders["signing"])
    other = make_user("agency_data_officer", "bank-officer", agency="loans")
    bank_key = SigningKey.generate()
    loans = Agency.objects.get(code="loans")
    loans.signing_key = json.dumps({"holder": "loans", "ed25519": bank_key.verify_key.encode().hex()})
    loans.save()
    _, clear = tokens.issue(other, name="bank")
    body = envelope.envelope(envelope.new_header("status", "loans"), {"transaction_id": "T-9"}, bank_key)
    status = Client().post(STATUS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert status.status_code == 200
    assert status.json()["message"]["status_response"] == []



def test_the_status_of_a_run_never_shows_the_hubs_progress_lines(holders, court):
    """The hub's progress names each agency with its count of hits: an agency sees the run's own stages only."""
    upload(court["token"], holders["archives"]["courts"], holders["signing"], cycle=holders["cycle"])
    stages = []
    for stage in ("loans: 1,204 exact pairs (same national ID and a name part)", "verifying the packages"):
        run = Run.objects.create(cycle=court["cycle"], state="running", stage=stage)
        run.packages.add(Package.objects.get())
        body = envelope.envelope(envelope.new_header("status", "courts"), {"transaction_id": "T-8"},
                                 holders["signing"])
        status = Client().post(STATUS, body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {court['token']}").json()
        stages.append(status["message"]["status_response"][0]["runs"][0]["stage"])
        run.delete()
    assert stages == ["matching", "verifying the packages"]
