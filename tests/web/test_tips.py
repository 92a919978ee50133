"""Hotline tips: the caller sealed (only ciphertext in the database, opened by a tip officer with a reason,
refused to everyone else), the tip matched to the registry and confirmed into a case, duplicates grouped,
and the caller told the status and nothing else."""

from __future__ import annotations

import pytest
from conftest import make_user
from django.db import connection
from django.test import Client
from typer.testing import CliRunner

from sijill.accounts.roles import Role
from sijill.audit.models import AuditEntry
from sijill.cases.models import Case
from sijill.registry.models import Person
from sijill.tips import sealing
from sijill.tips.models import Tip, TipKey

pytestmark = pytest.mark.django_db

CALLER = {"caller_name": "أبو حيدر الساعدي", "caller_phone": "٠٧٧٠١٢٣٤٥٦٧", "caller_contact": "بعد صلاة المغرب"}
ABOUT_REG_1 = {"subject_name": "محمد علي حسين", "subject_governorate": "بغداد", "subject_address": "الكرخ، حي الجهاد",
               "category": "employment", "allegation": "يعمل موظفاً في دائرة حكومية ويستلم الإعانة"}


def client_for(role, username=None, governorates=()) -> tuple[Client, object]:
    user = make_user(role, username, governorates=governorates)
    client = Client()
    client.force_login(user)
    return client, user


def record(client, **fields) -> Tip:
    response = client.post("/tips/new/", {**ABOUT_REG_1, **CALLER, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Tip.objects.latest("pk")


def test_the_database_holds_only_ciphertext_of_the_caller(people):
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator)
    secrets = [CALLER["caller_name"], CALLER["caller_phone"], "07701234567", CALLER["caller_contact"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tips_tip WHERE id = %s", [tip.pk])
        row = cursor.fetchone()
    stored = [bytes(v) if isinstance(v, memoryview | bytes) else str(v).encode() for v in row]
    for secret in secrets:
        assert not any(secret.encode() in value for value in stored), secret
    assert len(bytes(tip.caller_sealed)) > 48  # a sealed box: ephemeral key, tag, ciphertext
    trail = " ".join(e.details for e in AuditEntry.objects.all())
    assert not any(secret in trail for secret in secrets)
    # the private key is in its file (0600), never in the database
    key_file = sealing.key_path()
    assert key_file.stat().st_mode & 0o777 == 0o600
    private_hex = key_file.read_text().strip()
    assert not TipKey.objects.filter(public_key=private_hex).exists()
    assert not any(private_hex.encode() in value for value in stored)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.FIELD_RESEARCHER, Role.HOTLINE_OPERATOR, Role.ANALYST,
                                  Role.ADMINISTRATOR, Role.AUDITOR])
def test_only_a_tip_officer_may_open_the_caller(people, role):
    operator, _ = client_for(Role.HOTLINE_OPERATOR, "op")
    tip = record(operator)
    other, user = client_for(role, governorates=["بغداد"] if role in (Role.CASEWORKER, Role.FIELD_RESEARCHER) else ())
    response = other.post(f"/tips/{tip.pk}/caller/", {"reason": "أحتاج إلى التواصل مع المتصل للتحقق"})
    assert response.status_code == 403
    assert CALLER["caller_name"] not in response.content.decode()
    assert AuditEntry.objects.filter(action="denied", actor=user.username).exists()
    assert not AuditEntry.objects.filter(action="tip_caller_opened").exists()


def test_a_tip_officer_opens_the_caller_with_a_reason_and_it_is_audited(people):
    operator, _ = client_for(Role.HOTLINE_OPERATOR, "op")
    tip = record(operator)
    officer, _ = client_for(Role.TIP_OFFICER, "officer")
    page = officer.get(f"/tips/{tip.pk}/caller/").content.decode()
    assert CALLER["caller_name"] not in page  # a GET asks for the reason only
    short = officer.post(f"/tips/{tip.pk}/caller/", {"reason": "لماذا"}).content.decode()
    assert CALLER["caller_name"] not in short
    reason = "التحقق من صحة البلاغ قبل الزيارة الميدانية"
    response = officer.post(f"/tips/{tip.pk}/caller/", {"reason": reason})
    page = response.content.decode()
    assert CALLER["caller_name"] in page and CALLER["caller_phone"] in page and CALLER["caller_contact"] in page
    assert response["Cache-Control"] == "no-store"
    opened = AuditEntry.objects.get(action="tip_caller_opened")
    assert opened.actor == "officer" and opened.target_id == tip.reference
    assert opened.details_dict == {"reason": reason}


def test_a_tip_becomes_a_case_and_the_caller_learns_only_its_status(people):
    reg1 = Person.objects.get(record_id="REG-1")
    operator, user = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator)
    page = operator.get(f"/tips/{tip.pk}/").content.decode()
    assert CALLER["caller_name"] not in page
    first = page.index('class="candidate"')
    assert f'value="{reg1.pk}"' in page[first:first + 3000]  # and ranked first
    assert AuditEntry.objects.filter(action="search", actor=user.username, target_id=tip.reference).exists()

    public = Client()
    assert "تم الاستلام" in public.post("/tips/status/", {"reference": tip.reference}).content.decode()

    response = operator.post(f"/tips/{tip.pk}/confirm/", {"person": reg1.pk})
    assert response.status_code == 302
    tip.refresh_from_db()
    case = Case.objects.get(person=reg1)
    assert tip.case == case and case.source == "tip" and tip.person == reg1
    assert AuditEntry.objects.filter(action="tip_confirmed", target_id=tip.reference).exists()

    arabic_digits = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in tip.reference)
    status = public.post("/tips/status/", {"reference": arabic_digits}).content.decode()
    assert "تم الاستلام" in status and "قيد المراجعة" not in status  # a match would say the person is enrolled
    for private in (reg1.display_name, reg1.given, reg1.record_id, case.reference, "موظف"):
        assert private not in status
    case.state, case.outcome = "decided", "confirmed"
    case.save()
    assert "مغلق" in public.post("/tips/status/", {"reference": tip.reference}).content.decode()
    assert "لا يوجد بلاغ" in public.post("/tips/status/", {"reference": "0000000001"}).content.decode()


def test_tips_about_the_same_person_are_grouped_and_join_one_case(people):
    reg1 = Person.objects.get(record_id="REG-1")
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    # the same national ID, once in Arabic-Indic digits with spaces, once in Latin digits
    by_id = record(operator, subject_name="", subject_governorate="", subject_national_id="١٩٨٥ ٠٣٠٢ ١٢٣٤",
                   category="marriage", allegation="تزوجت وما زالت تستلم")
    again = record(operator, subject_name="محمد", subject_governorate="", subject_national_id="198503021234",
                   category="business", allegation="يملك مولدة أهلية")
    unrelated = record(operator, subject_name="زينب جاسم محمد", subject_governorate="البصرة")
    assert by_id.subject_key == again.subject_key == "nid:198503021234"
    listing = operator.get("/tips/").content.decode()
    assert "بلاغان عن الشخص نفسه" in listing
    groups = listing.split('<tbody class="group">')[1:]
    assert [g for g in groups if again.reference in g and by_id.reference in g]  # one group holds both
    assert not [g for g in groups if unrelated.reference in g and by_id.reference in g]
    operator.post(f"/tips/{by_id.pk}/confirm/", {"person": reg1.pk})
    by_id.refresh_from_db()
    again.refresh_from_db()
    unrelated.refresh_from_db()
    assert by_id.case is not None and again.case == by_id.case
    assert unrelated.case is None
    third = record(operator)  # by name and governorate: confirmed on its own, joins the open case
    operator.post(f"/tips/{third.pk}/confirm/", {"person": reg1.pk})
    third.refresh_from_db()
    assert third.case == by_id.case and Case.objects.filter(person=reg1).count() == 1


def test_only_a_candidate_of_the_tip_can_be_confirmed(people):
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator)
    stranger = Person.objects.get(record_id="REG-2")
    operator.post(f"/tips/{tip.pk}/confirm/", {"person": stranger.pk})
    tip.refresh_from_db()
    assert tip.case is None and not Case.objects.exists()


@pytest.mark.parametrize(("fields", "error"), [
    ({"subject_name": "", "subject_national_id": ""}, "الاسم أو الرقم الوطني"),
    ({"subject_governorate": "باريس"}, "ليست محافظة"),
])
def test_a_tip_needs_a_subject_and_a_known_governorate(people, fields, error):
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    response = operator.post("/tips/new/", {**ABOUT_REG_1, **CALLER, **fields})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Tip.objects.exists()


def test_a_governorate_named_by_its_capital_and_a_caseworker_sees_no_tips(people):
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator, subject_governorate="الديوانية")
    assert tip.subject_governorate == "القادسية"
    caseworker, _ = client_for(Role.CASEWORKER, governorates=["بغداد"])
    assert caseworker.get("/tips/").status_code == 403
    assert caseworker.get(f"/tips/{tip.pk}/").status_code == 403


def test_the_key_is_made_by_the_command_or_on_first_use(tmp_path, settings, people):
    settings.TIPS_KEY_FILE = str(tmp_path / "officers" / "tips.key")
    from sijill.cli import app

    result = CliRunner().invoke(app, ["tips", "init-key"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "officers" / "tips.key").stat().st_mode & 0o777 == 0o600
    again = CliRunner().invoke(app, ["tips", "init-key"])
    assert "already" in again.output and TipKey.objects.filter(active=True).count() == 1
    # a server without the private key still seals; it cannot open
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator)
    settings.TIPS_KEY_FILE = str(tmp_path / "elsewhere.key")
    with pytest.raises(sealing.KeyUnavailable):
        sealing.unseal(tip.caller_sealed, tip.sealed_with)


def test_the_status_page_stops_answering_an_address_that_tries_many_numbers(people):
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator)
    public = Client()
    for n in range(20):
        assert "لا يوجد بلاغ" in public.post("/tips/status/", {"reference": f"{n:010d}"}).content.decode()
    entries = AuditEntry.objects.filter(action="tip_status").count()
    refused = public.post("/tips/status/", {"reference": tip.reference})
    assert refused.status_code == 429
    assert "ربع ساعة" in refused.content.decode() and "تم الاستلام" not in refused.content.decode()
    assert AuditEntry.objects.filter(action="tip_status").count() == entries  # refusals do not flood the trail
    other = Client(REMOTE_ADDR="10.1.2.3").post("/tips/status/", {"reference": tip.reference})
    assert other.status_code == 200 and "تم الاستلام" in other.content.decode()


def test_a_missing_key_is_said_in_arabic_without_the_key_path(people, tmp_path, settings):
    operator, _ = client_for(Role.HOTLINE_OPERATOR, "op")
    tip = record(operator)
    missing = tmp_path / "not-here" / "tips.key"
    settings.TIPS_KEY_FILE = str(missing)
    officer, _ = client_for(Role.TIP_OFFICER, "officer")
    page = officer.post(f"/tips/{tip.pk}/caller/", {"reason": "التحقق من صحة البلاغ قبل الزيارة"}).content.decode()
    assert "مفتاح البلاغات غير موجود" in page
    assert str(tmp_path) not in page and CALLER["caller_name"] not in page
    assert not AuditEntry.objects.filter(action="tip_caller_opened").exists()


def test_a_closed_tip_cannot_be_confirmed(people):
    reg1 = Person.objects.get(record_id="REG-1")
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    tip = record(operator)
    operator.post(f"/tips/{tip.pk}/close/", {"note": "البلاغ كيدي"})
    operator.post(f"/tips/{tip.pk}/confirm/", {"person": reg1.pk})
    tip.refresh_from_db()
    assert tip.state == "closed" and tip.case is None and not Case.objects.exists()


def test_a_subject_named_as_long_as_the_form_allows_fits_its_key_and_groups(people):
    """The probe: three long name parts made a subject key longer than its column (a 500 on PostgreSQL)."""
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    long_name = " ".join(["محمد" * 16, "كاظم" * 16, "جعفر" * 16])  # 194 characters: the form allows 200
    first = record(operator, subject_name=long_name, subject_governorate="البصرة")
    second = record(operator, subject_name=long_name, subject_governorate="البصرة", category="marriage")
    limit = Tip._meta.get_field("subject_key").max_length
    assert 0 < len(first.subject_key) <= limit and first.subject_key == second.subject_key


def test_the_tips_key_is_rotated_with_older_tips_still_openable(tmp_path, settings, people):
    settings.TIPS_KEY_FILE = str(tmp_path / "officers" / "tips.key")
    from sijill.cli import app

    assert CliRunner().invoke(app, ["tips", "init-key"]).exit_code == 0
    operator, _ = client_for(Role.HOTLINE_OPERATOR)
    before = record(operator)
    rotated = CliRunner().invoke(app, ["tips", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    after = record(operator, caller_name="أم علي")
    assert before.sealed_with != after.sealed_with and TipKey.objects.filter(active=True).count() == 1
    assert sealing.unseal(before.caller_sealed, before.sealed_with)["name"] == CALLER["caller_name"]
    assert sealing.unseal(after.caller_sealed, after.sealed_with)["name"] == "أم علي"
    retired = sealing.retired_path(before.sealed_with)
    assert retired.stat().st_mode & 0o777 == 0o600
    assert AuditEntry.objects.filter(action="tips_key_rotated").exists()
    retired.unlink()  # the retired key gone: the older tip can no longer be opened, the newer one still can
    with pytest.raises(sealing.KeyUnavailable):
        sealing.unseal(before.caller_sealed, before.sealed_with)
    assert sealing.unseal(after.caller_sealed, after.sealed_with)
