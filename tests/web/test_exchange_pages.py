"""The exchange pages: who may do what, the feeds dashboard, the hits with their explanation and payload,
the review queue, and the hits stored from opened rows."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from conftest import make_user
from django.urls import reverse
from django.utils import timezone

from sijill.audit.models import AuditEntry
from sijill.common.explain import explain
from sijill.exchange import cycles
from sijill.exchange.hits import UnknownRecords, store_opened_hits
from sijill.exchange.models import Agency, Cycle, Hit, HitReview, Package, PackageStatus, Run, RunState
from sijill.exchange.seed import PARTNERS, seed_agencies
from sijill.pprl.registry.opening import Level, OpenedHit

EXACT = [{"field": "national_id", "level": "same national ID", "weight": None},
         {"field": "given_name", "level": "same name or variant", "weight": None},
         {"field": "father_name", "level": "same name or variant", "weight": None},
         {"field": "grandfather_name", "level": "same name or variant", "weight": None}]
REVIEW = [{"field": "given_name", "level": "exact", "weight": 9.1},
          {"field": "father_name", "level": "disagree", "weight": -3.0},
          {"field": "birth_date", "level": "same year, different day", "weight": 2.0},
          {"field": "*", "level": "tie with another beneficiary", "weight": None}]


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    return seed_agencies()


def _levels(explanation: list[dict]) -> tuple[Level, ...]:
    return tuple(Level(e["field"], e["level"], e.get("weight")) for e in explanation)


def _rows():
    return [
        OpenedHit("REG-1", "courts", "C-9", "exact", 1.0, float("inf"), _levels(EXACT),
                  {"رقم العقد": "2022/34", "المحكمة": "محكمة الأحوال الشخصية في الكرخ"}),
        OpenedHit("REG-2", "deaths", "D-1", "review", 0.41, 1.2, _levels(REVIEW), {"تاريخ الوفاة": "2021-06-01"}),
    ]


@pytest.fixture
def run(seeded, people):
    cycle = Cycle.objects.create(code="2026-11-a", state="done")
    run = Run.objects.create(cycle=cycle, state=RunState.SUCCEEDED)
    store_opened_hits(run, _rows())
    return run


def test_the_seed_gives_ten_partners_each_with_an_agreement_in_force(seeded):
    seed_agencies()  # idempotent
    assert Agency.objects.count() == len(PARTNERS) == 10
    courts = Agency.objects.get(code="courts")
    assert "مجلس القضاء الأعلى" in courts.name_ar
    assert courts.agreement_in_force().allowed_payload_fields == ["رقم العقد", "صفة الطرف", "تاريخ العقد", "المحكمة"]


def test_hits_are_stored_against_persons_once_per_run(run):
    assert store_opened_hits(run, _rows()) and Hit.objects.count() == 2  # stored again: replaced, not doubled
    exact = Hit.objects.get(match_class="exact")
    assert exact.person.record_id == "REG-1" and exact.agency.code == "courts" and exact.partner_record_id == "C-9"
    assert exact.payload == {"رقم العقد": "2022/34", "المحكمة": "محكمة الأحوال الشخصية في الكرخ"}
    assert exact.match_weight == float("inf") and exact.review == HitReview.NOT_NEEDED and exact.usable
    review = Hit.objects.get(match_class="review")
    assert review.review == HitReview.PENDING and not review.usable
    with pytest.raises(UnknownRecords):
        store_opened_hits(run, [dataclasses.replace(_rows()[0], registry_record_id="REG-NOBODY")])
    assert Hit.objects.count() == 2


def test_the_explanation_reads_as_plain_arabic_or_english():
    assert "؛ ".join(explain(EXACT, "ar")) == "الرقم الوطني مطابق؛ الاسم واسم الأب واسم الجد متطابقة"
    assert explain(EXACT, "en") == ["The national number matches",
                                    "The given name, the father's name and the grandfather's name match"]
    assert explain(REVIEW, "ar")[:3] == ["الاسم مطابق", "اسم الأب مختلف", "سنة الميلاد مطابقة؛ الشهر مختلف"]
    assert explain([{"field": "new_field", "level": "odd"}], "en") == ["New_field: odd"]


def test_an_analyst_sees_a_hit_explained_with_its_payload_and_it_is_audited(client, run):
    client.force_login(make_user("analyst"))
    hit = Hit.objects.get(match_class="exact")
    page = client.get(reverse("exchange:hit", args=[hit.pk])).content.decode()
    assert "الرقم الوطني مطابق" in page and "محكمة الأحوال الشخصية في الكرخ" in page and "C-9" in page
    assert AuditEntry.objects.filter(action="hit_view", target_id="REG-1").exists()
    listing = client.get(reverse("exchange:hits", args=[run.cycle.code]), {"agency": "courts"}).content.decode()
    assert "REG-1" in listing and "REG-2" not in listing
    person = client.get(reverse("exchange:person_hits", args=[hit.person_id])).content.decode()
    assert "2022/34" in person


def test_an_analyst_accepts_or_rejects_each_review_hit_saying_why(client, run):
    analyst = make_user("analyst")
    client.force_login(analyst)
    hit = Hit.objects.get(match_class="review")
    queue = client.get(reverse("exchange:review")).content.decode()
    assert reverse("exchange:hit", args=[hit.pk]) in queue
    response = client.post(reverse("exchange:hit", args=[hit.pk]),
                           {"decision": "rejected", "note": "تاريخ الميلاد يختلف وزوجة أخرى بالاسم نفسه"})
    assert response.status_code == 302
    hit.refresh_from_db()
    assert hit.review == HitReview.REJECTED and hit.reviewed_by == analyst and hit.reviewed_at
    entry = AuditEntry.objects.get(action="hit_review")
    assert json.loads(entry.details)["decision"] == "rejected" and entry.actor == "analyst"
    assert reverse("exchange:hit", args=[hit.pk]) not in client.get(reverse("exchange:review")).content.decode()


def test_the_review_queue_puts_first_what_a_decision_is_worth_most(client, seeded, people):
    """Worth: the chance that it is the person times what the household is paid a month. HH-1 is paid
    275,000 IQD, HH-2 175,000, HH-3's enrolment is stopped (nothing at stake)."""
    from sijill.exchange.services import review_queue

    run = Run.objects.create(cycle=Cycle.objects.create(code="2026-12-r", state="done"), state=RunState.SUCCEEDED)
    cases = [("REG-9", 0.95), ("REG-5", 0.90), ("REG-2", 0.50), ("REG-3", 0.90)]
    store_opened_hits(run, [OpenedHit(record, "courts", f"C-{i}", "review", p, 1.0, _levels(REVIEW), {})
                            for i, (record, p) in enumerate(cases)])
    queue = list(review_queue(Hit.objects.all()))
    assert [(h.person.record_id, h.at_stake) for h in queue] == [
        ("REG-3", 275_000), ("REG-5", 175_000), ("REG-2", 275_000), ("REG-9", 0)]
    client.force_login(make_user("analyst"))
    page = client.get(reverse("exchange:review")).content.decode()
    order = [page.index(reverse("exchange:hit", args=[h.pk])) for h in queue]
    assert order == sorted(order) and "275000" in page
    # after a decision, the next hit is the next most worth deciding
    response = client.post(reverse("exchange:hit", args=[queue[0].pk]), {"decision": "accepted", "note": "هو نفسه"})
    assert response.url == reverse("exchange:hit", args=[queue[1].pk])


@pytest.mark.parametrize("role", ["caseworker", "agency_data_officer", "field_researcher"])
def test_other_roles_neither_run_cycles_nor_see_hits(client, run, role):
    client.force_login(make_user(role, governorates=["بغداد"], agency="courts"))
    hit = Hit.objects.first()
    for url in (reverse("exchange:cycles"), reverse("exchange:cycle", args=[run.cycle.code]),
                reverse("exchange:hits", args=[run.cycle.code]), reverse("exchange:hit", args=[hit.pk]),
                reverse("exchange:review"), reverse("exchange:dashboard")):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("exchange:cycle_run", args=[run.cycle.code])).status_code == 403
    assert not Run.objects.exclude(pk=run.pk).exists()


def test_an_analyst_opens_a_cycle_and_sees_the_key_reminder(client, seeded):
    client.force_login(make_user("analyst"))
    response = client.post(reverse("exchange:cycles"), {"note": "دورة تشرين الثاني"})
    cycle = Cycle.objects.get()
    assert response.url == reverse("exchange:cycle", args=[cycle.code])
    page = client.get(response.url).content.decode()
    assert cycle.code in page and "sijill keys init --join" in page
    assert "لم تصل بعد" in page  # no package is in yet
    assert (cycles.storage.registry_keys_dir() / "registry.secret").exists()
    # a run needs the packages
    client.post(reverse("exchange:cycle_run", args=[cycle.code]))
    assert not Run.objects.exists()


def test_only_an_administrator_registers_an_agency_key(client, seeded, tmp_path):
    from sijill.pprl.holder import init_keys

    info = init_keys(tmp_path / "courts-keys", "courts")
    key = (info.directory / "holder.pub").read_text(encoding="utf-8")
    client.force_login(make_user("analyst"))
    assert client.post(reverse("exchange:agency_key", args=["courts"]), {"key": key}).status_code == 403
    client.force_login(make_user("administrator"))
    assert client.post(reverse("exchange:agency_key", args=["courts"]), {"key": key}).status_code == 302
    assert Agency.objects.get(code="courts").key_fingerprint == info.holder_key
    wrong = client.post(reverse("exchange:agency_key", args=["deaths"]), {"key": key}).content.decode()
    assert "courts" in wrong and not Agency.objects.get(code="deaths").key_fingerprint


def test_an_officer_sees_only_their_agency_uploads_and_the_dashboard_shows_overdue_feeds(client, seeded):
    cycle = Cycle.objects.create(code="2026-11-b")
    courts, deaths = Agency.objects.get(code="courts"), Agency.objects.get(code="deaths")
    Package.objects.create(cycle=cycle, agency=courts, status=PackageStatus.ACCEPTED, sha256="c" * 64, records=7)
    Package.objects.create(cycle=cycle, agency=deaths, status=PackageStatus.REJECTED, sha256="d" * 64,
                           rejection="The package is not signed.")
    client.force_login(make_user("agency_data_officer", "deaths-officer", agency="deaths"))
    page = client.get(reverse("exchange:upload")).content.decode()
    assert "dddddddd" in page and "cccccccc" not in page
    assert "sijill hub upload --hub" in page  # the package goes to the hub
    response = client.post(reverse("exchange:upload"), {"file": io.BytesIO(b"not a package")})
    assert response.status_code == 405, "the registry's page takes no agency's package"
    assert Package.objects.filter(agency=deaths).count() == 1

    client.force_login(make_user("agency_data_officer", "nobody", agency="unknown"))
    assert client.get(reverse("exchange:upload")).status_code == 403

    client.force_login(make_user("administrator"))
    dashboard = client.get(reverse("exchange:dashboard")).content.decode()
    rows = {row.split("</td>")[0]: row for row in dashboard.split('<td data-label="الجهة">')[1:]}
    assert "متأخرة" not in next(r for k, r in rows.items() if "مجلس القضاء" in k)
    assert "متأخرة" in next(r for k, r in rows.items() if "الوفيات" in k)
    Package.objects.filter(agency=courts).update(uploaded_at=timezone.now() - timezone.timedelta(days=45))
    dashboard = client.get(reverse("exchange:dashboard")).content.decode()
    assert dashboard.count("status overdue") == 10
