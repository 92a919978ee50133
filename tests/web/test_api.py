"""The API: tokens (hashed, expiring, revocable), the rate limit, signed envelopes, registry lookups by
national ID in DCI shape, and the OpenAPI document. Package upload and status: test_api_packages.py."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import make_user
from django.test import Client
from django.utils import timezone
from nacl.signing import SigningKey
from typer.testing import CliRunner

from sijill.api import envelope, tokens
from sijill.api.models import ApiToken
from sijill.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/registry/sync/search"


def api_client() -> Client:
    return Client(enforce_csrf_checks=True)  # no session, no CSRF token: the bearer token is all there is


def analyst_token(key: SigningKey, role: str = "analyst", **extra) -> str:
    user = make_user(role, governorates=extra.pop("governorates", ()))
    _, clear = tokens.issue(user, name="test", sender_id="moh-portal", sender_key=key.verify_key.encode().hex(),
                            **extra)
    return clear


def search_body(key: SigningKey, *values: str, sender: str = "moh-portal", **header) -> dict:
    items = [{"reference_id": f"ref-{i}", "timestamp": timezone.now().isoformat(),
              "search_criteria": {"query_type": "idtype-value", "query": {"type": "NATIONAL_ID", "value": v}}}
             for i, v in enumerate(values)]
    head = {**envelope.new_header("search", sender, total_count=len(items)), **header}
    return envelope.envelope(head, {"transaction_id": "T-1", "search_request": items}, key)


def post(client: Client, path: str, body: dict, token: str | None):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(path, body, content_type="application/json", **auth)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


# --- tokens ------------------------------------------------------------------------------------------

def test_a_token_is_stored_as_its_hash_only(key):
    clear = analyst_token(key)
    row = ApiToken.objects.get()
    assert clear.startswith(f"sjl_{row.prefix}_")
    assert all(clear not in str(value) for value in row.__dict__.values())
    assert row.digest == tokens.digest(clear)


@pytest.mark.parametrize(("spoil", "code"), [
    (None, "err.token.missing"),
    ("unknown", "err.token.invalid"),
    ("expired", "err.token.expired"),
    ("revoked", "err.token.revoked"),
])
def test_a_request_without_a_usable_token_is_refused(people, key, spoil, code):
    clear = analyst_token(key)
    token = ApiToken.objects.get()
    if spoil == "unknown":
        clear = clear[:-4] + "abcd"
    elif spoil == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif spoil == "revoked":
        tokens.revoke(token, actor="test")
    response = post(api_client(), SEARCH, search_body(key, "198503021234"), clear if spoil else None)
    assert response.status_code == 401
    assert response.json()["message"]["error"]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AuditEntry.objects.filter(action="search").exists()


def test_an_administrator_makes_a_token_at_the_command_line(key, tmp_path):
    from sijill.cli import app

    make_user("auditor", "auditor1")
    pub = tmp_path / "portal.pub"
    pub.write_text(json.dumps({"holder": "audit-office", "ed25519": key.verify_key.encode().hex()}))
    result = CliRunner().invoke(app, ["api", "token", "create", "auditor1", "--name", "audit office",
                                      "--days", "30", "--sender-key", str(pub)])
    assert result.exit_code == 0, result.output
    clear = next(w for w in result.output.split() if w.startswith("sjl_"))
    token = tokens.authenticate(clear)
    assert (token.user.username, token.sender_id) == ("auditor1", "audit-office")
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    listed = CliRunner().invoke(app, ["api", "token", "list"])
    assert token.prefix in listed.output and clear not in listed.output
    assert CliRunner().invoke(app, ["api", "token", "revoke", token.prefix]).exit_code == 0
    with pytest.raises(tokens.TokenRefused, match="revoked"):
        tokens.authenticate(clear)
    assert AuditEntry.objects.filter(action="admin_change", target_id=token.prefix).count() == 2


def test_a_token_needs_a_key_to_verify_its_envelopes():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        tokens.issue(make_user("analyst"), name="no key")
    assert "مفتاح عام" in refused.value.message_dict["sender_key"][0]  # "a public key is needed"
    assert not ApiToken.objects.exists()


# --- rate limit ----------------------------------------------------------------------------------------

def test_too_many_requests_get_429_with_retry_after(people, key):
    clear = analyst_token(key, rate_per_minute=2)
    client = api_client()
    statuses = [post(client, SEARCH, search_body(key, "198503021234"), clear).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = post(client, SEARCH, search_body(key, "198503021234"), clear)
    assert refused.json()["message"]["error"]["code"] == "err.rate.limited"
    assert 1 <= int(refused["Retry-After"]) <= 60


# --- the envelope ----------------------------------------------------------------------------------------

def _tampered(body):
    body["message"]["search_request"][0]["search_criteria"]["query"]["value"] = "199007154321"
    return body


def _unsigned(body):
    body["signature"] = ""
    return body


def _other_key(body):
    return envelope.envelope(body["header"], body["message"], SigningKey.generate())


@pytest.mark.parametrize(("spoil", "status", "code"), [
    (_tampered, 403, "err.signature.invalid"),
    (_unsigned, 401, "err.signature.missing"),
    (_other_key, 403, "err.signature.invalid"),
])
def test_an_envelope_not_signed_by_its_sender_is_refused(people, key, spoil, status, code):
    clear = analyst_token(key)
    response = post(api_client(), SEARCH, spoil(search_body(key, "198503021234")), clear)
    assert response.status_code == status
    body = response.json()
    assert body["message"]["error"]["code"] == code
    assert body["header"]["status"] == "rjct"
    assert not AuditEntry.objects.filter(action="search").exists()


@pytest.mark.parametrize(("header", "status", "code"), [
    ({"sender_id": "someone-else"}, 403, "err.sender.invalid"),
    ({"message_ts": (timezone.now() - dt.timedelta(minutes=30)).isoformat()}, 400, "rjct.message_ts.invalid"),
    ({"action": "subscribe"}, 400, "rjct.action.invalid"),
    ({"receiver_id": "another-registry"}, 400, "rjct.receiver_id.invalid"),
    ({"total_count": 3}, 400, "rjct.total_count.invalid"),
])
def test_a_header_the_registry_cannot_accept_is_refused(people, key, header, status, code):
    clear = analyst_token(key)
    response = post(api_client(), SEARCH, search_body(key, "198503021234", **header), clear)
    assert (response.status_code, response.json()["message"]["error"]["code"]) == (status, code)


def test_a_replayed_envelope_is_refused(people, key):
    clear = analyst_token(key)
    body = search_body(key, "198503021234")
    client = api_client()
    assert post(client, SEARCH, body, clear).status_code == 200
    again = post(client, SEARCH, body, clear)
    assert (again.status_code, again.json()["message"]["error"]["code"]) == (409, "rjct.message_id.duplicate")


# --- registry lookups --------------------------------------------------------------------------------------

def test_search_by_national_id_in_latin_and_arabic_indic_digits(people, key):
    clear = analyst_token(key)
    response = post(api_client(), SEARCH, search_body(key, "198503021234", "١٩٩٠٠٧١٥٤٣٢١", "1985-0302-1234"),
                    clear)
    assert response.status_code == 200
    body = response.json()
    assert (body["header"]["action"], body["header"]["status"], body["header"]["receiver_id"]) == \
        ("on-search", "succ", "moh-portal")
    answers = body["message"]["search_response"]
    assert [a["status"] for a in answers] == ["succ"] * 3
    first = answers[0]["data"]["reg_records"][0]
    assert first["identifier"] == {"identifier_type": "NATIONAL_ID", "identifier_value": "198503021234"}
    assert (first["registered"], first["household_id"], first["relation_to_head"]) == (True, "HH-1", "head")
    assert [(e["programme"], e["status"]) for e in first["enrolments"]] == [("SPN", "active")]
    assert answers[1]["data"]["reg_records"][0]["identifier"]["identifier_value"] == "199007154321"
    assert answers[1]["data"]["reg_records"][0]["relation_to_head"] == "spouse"


def test_a_partner_sees_no_name_birth_date_or_amount(people, key):
    clear = analyst_token(key)
    text = post(api_client(), SEARCH, search_body(key, "198503021234"), clear).content.decode()
    for private in ("محمد", "الجبوري", "فاطمة", "1985-03-02", "275000", "بغداد", "REG-1"):
        assert private not in text


@pytest.mark.parametrize(("value", "status", "registered"), [
    ("199999999991", "succ", False),  # valid, not in the registry
    ("12345", "rjct", None),  # not a national ID
])
def test_an_unknown_or_invalid_national_id(people, key, value, status, registered):
    clear = analyst_token(key)
    answer = post(api_client(), SEARCH, search_body(key, value), clear).json()["message"]["search_response"][0]
    assert answer["status"] == status
    if registered is None:
        assert answer["status_reason_code"] == "rjct.search_criteria.invalid"
        assert "12 digits" in answer["status_reason_message"]
    else:
        assert (answer["data"]["registered"], answer["data"]["reg_records"]) == (False, [])


def test_a_caseworker_finds_only_their_governorates(people, key):
    clear = analyst_token(key, role="caseworker", governorates=["البصرة"])
    answer = post(api_client(), SEARCH, search_body(key, "198503021234"), clear).json()
    assert answer["message"]["search_response"][0]["data"]["registered"] is False  # a Baghdad beneficiary


def test_every_lookup_is_audited_and_the_id_stays_out_of_the_url(people, key):
    clear = analyst_token(key)
    post(api_client(), SEARCH, search_body(key, "١٩٨٥٠٣٠٢١٢٣٤", "199999999991"), clear)
    entries = AuditEntry.objects.filter(action="search").order_by("seq")
    assert [(e.actor, e.details_dict["query"]["national_id"], e.details_dict["found"]) for e in entries] == \
        [("analyst", "198503021234", 1), ("analyst", "199999999991", 0)]
    first = entries[0].details_dict
    assert (first["channel"], first["sender"], first["records"]) == ("api", "moh-portal", ["REG-1"])
    assert first["token"] == ApiToken.objects.get().prefix


def test_a_role_without_search_is_refused_and_audited(people, key):
    clear = analyst_token(key, role="hotline_operator")
    response = post(api_client(), SEARCH, search_body(key, "198503021234"), clear)
    assert (response.status_code, response.json()["message"]["error"]["code"]) == (403, "err.role.forbidden")
    denied = AuditEntry.objects.get(action="denied")
    assert (denied.actor, denied.details_dict["reason"]) == ("hotline_operator", "role lacks search_people")


# --- the OpenAPI document --------------------------------------------------------------------------------

def test_the_openapi_document_lists_the_endpoints():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert {"/api/v1/registry/sync/search", "/api/v1/packages/upload", "/api/v1/packages/sync/status"} <= \
        set(spec["paths"])
    assert spec["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert "SearchEnvelope" in spec["components"]["schemas"]


def test_the_docs_page_uses_local_assets_only():
    page = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


# --- the administration page ---------------------------------------------------------------------------

def test_an_administrator_creates_a_token_in_the_admin_and_sees_it_once(key):
    admin_user = make_user("administrator", "admin1", is_staff=True)
    portal = make_user("analyst", "portal")
    client = Client()
    client.force_login(admin_user)
    expires = timezone.localtime() + dt.timedelta(days=10)
    response = client.post("/admin/api/apitoken/add/", {
        "user": portal.pk, "name": "ministry portal", "expires_at_0": expires.strftime("%Y-%m-%d"),
        "expires_at_1": expires.strftime("%H:%M:%S"), "rate_per_minute": 30, "sender_id": "moh-portal",
        "sender_key": key.verify_key.encode().hex()})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "no-store" in response["Cache-Control"]
    shown = re.search(r"sjl_[0-9a-f]{8}_[\w-]+", response.content.decode())
    assert shown, re.findall(r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode())
    clear = shown[0]
    token = tokens.authenticate(clear)
    assert (token.user, token.created_by, token.rate_per_minute) == (portal, admin_user, 30)
    listing = client.get("/admin/api/apitoken/").content.decode()
    assert token.prefix in listing and clear not in listing
    client.post("/admin/api/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]})
    with pytest.raises(tokens.TokenRefused, match="revoked"):
        tokens.authenticate(clear)
    assert [e.details_dict["change"] for e in AuditEntry.objects.filter(target_id=token.prefix).order_by("seq")] == \
        ["api token created", "api token revoked"]


def test_only_an_administrator_sees_the_tokens():
    client = Client()
    client.force_login(make_user("analyst", is_staff=True))
    assert client.get("/admin/api/apitoken/").status_code == 403


# --- every refusal is in the audit trail (the probe found none of them there) --------------------------------

def _refusals() -> list[tuple[str, str, int]]:
    return [(e.actor, e.details_dict["code"], e.details_dict["status"])
            for e in AuditEntry.objects.filter(action="api_refused").order_by("seq")]


REFUSALS = [
    # what the caller did, who the trail names, the code, the status
    ("no token", "anonymous", "err.token.missing", 401),
    ("an unknown token", "anonymous", "err.token.invalid", 401),
    ("an expired token", "anonymous", "err.token.expired", 401),
    ("a revoked token", "anonymous", "err.token.revoked", 401),
    ("a bad signature", "analyst", "err.signature.invalid", 403),
    ("a replayed envelope", "analyst", "rjct.message_id.duplicate", 409),
    ("too many requests", "analyst", "err.rate.limited", 429),
    ("a body that is not JSON", "analyst", "err.request.bad", 400),
    ("a body of the wrong shape", "analyst", "err.request.bad", 422),
]


@pytest.mark.parametrize(("what", "actor", "code", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_every_api_refusal_is_in_the_audit_trail(people, key, what, actor, code, status):
    clear = analyst_token(key, rate_per_minute=1 if what == "too many requests" else 60)
    token = ApiToken.objects.get()
    client, body = api_client(), search_body(key, "198503021234")
    if what == "an unknown token":
        clear = clear[:-4] + "abcd"
    elif what == "an expired token":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif what == "a revoked token":
        tokens.revoke(token, actor="test")
    elif what == "a bad signature":
        body = _tampered(body)
    elif what in ("a replayed envelope", "too many requests"):
        post(client, SEARCH, body, clear)
        body = body if what == "a replayed envelope" else search_body(key, "198503021234")
    if what == "a body that is not JSON":
        response = client.post(SEARCH, "{not json", content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {clear}")
    elif what == "a body of the wrong shape":
        response = post(client, SEARCH, {"signature": 1}, clear)
    else:
        response = post(client, SEARCH, body, None if what == "no token" else clear)
    assert response.status_code == status and response["Content-Type"].startswith("application/json")
    assert response.json()["message"]["error"]["code"] == code
    assert _refusals() == [(actor, code, status)]
    if what != "no token":
        assert AuditEntry.objects.get(action="api_refused").details_dict["token"] == token.prefix


def test_an_oversized_body_gets_the_documented_json_refusal(people, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    clear = analyst_token(key)
    body = search_body(key, "198503021234")
    body["message"]["padding"] = "x" * 20_000
    response = post(api_client(), SEARCH, body, clear)
    assert response.status_code == 413 and response["Content-Type"].startswith("application/json")
    assert response.json()["message"]["error"]["code"] == "err.request.too_large"
    assert _refusals() == [("analyst", "err.request.too_large", 413)]
