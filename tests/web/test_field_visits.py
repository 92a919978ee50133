"""A visit a researcher can carry out: where the household lives (their own visits only, audited, a geo: link,
the round ordered by district and mahalla), what to verify (the rule's checklist, answered with evidence, shown
on the case and counted in the reports), and the legal referral of a confirmed case with its evidence bundle."""

from __future__ import annotations

import io
import uuid

import pytest
from conftest import make_user
from field import checklist_answers
from test_eligibility_fixtures import AS_OF, world_fixture  # noqa: F401 - the `world` fixture

from sijill.audit.models import AuditEntry
from sijill.cases import decisions, notices, referrals, visits, workflow
from sijill.cases.checks import questions
from sijill.cases.models import Case, Outcome, ReferralStatus, VisitCheck
from sijill.cycles.orchestrator import evaluate
from sijill.eligibility.checklists import checklist, rule_codes
from sijill.eligibility.rules import shipped_rules
from sijill.registry.models import Household, HouseholdAddress, HouseholdLocation


@pytest.fixture
def team(world):
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    return {"worker": make_user("caseworker", "cw-baghdad", governorates=["بغداد"]),
            "decider": make_user("caseworker", "cw-2", governorates=["بغداد"]),
            "researcher": make_user("field_researcher", "fr-1", governorates=["بغداد", "البصرة"]),
            "other": make_user("field_researcher", "fr-2", governorates=["بغداد"])}


def address(code: str, district: str, mahalla: str, located: bool = False) -> HouseholdAddress:
    home = Household.objects.get(household_id=code)
    if located:
        HouseholdLocation.objects.create(household=home, latitude="33.312800", longitude="44.361500",
                                         observed_on="2024-05-01", source="مسح الأسر السابق")
    return HouseholdAddress.objects.create(household=home, governorate=home.governorate, district=district,
                                           mahalla=mahalla, zuqaq="12", dar="7", landmark="قرب جامع الرحمن",
                                           phones="07701234567", source="test")


def test_every_shipped_rule_has_its_checklist_in_arabic():
    shipped = {r["code"] for r in shipped_rules()}
    assert shipped <= rule_codes()
    for code in shipped:
        items = checklist(code)
        assert 2 <= len(items) <= 5 and all(i.ar and i.code for i in items), code
    assert [i.code for i in checklist("marriage_contract")] == ["identity", "marital_status", "husband_present",
                                                                "contract_exists"]
    assert checklist("a_rule_added_later") == checklist("default")


def test_the_researcher_sees_the_address_of_their_own_visits_only_and_every_view_is_audited(team, world, client):
    address("HH-B1", "الكرخ", "905", located=True)
    mine = Case.objects.get(person=world.widow)
    theirs = Case.objects.get(person=world.son)
    workflow.assign(mine, team["researcher"], actor=team["worker"], reason="تكليف")
    workflow.assign(theirs, team["other"], actor=team["worker"], reason="تكليف")
    client.force_login(team["researcher"])
    page = client.get(f"/cases/visits/{mine.pk}/").content.decode()
    assert "محلة 905، زقاق 12، دار 7" in page and "قرب جامع الرحمن" in page and 'href="tel:07701234567"' in page
    assert 'href="geo:33.312800,44.361500"' in page and "2024-05-01" in page
    assert "ما يجب التحقق منه" in page and checklist("marriage_contract")[1].ar in page
    assert "2023/77" not in page and "محكمة الأحوال الشخصية" not in page  # no partner payload on the form
    entry = AuditEntry.objects.filter(action="view_person", target_id=world.widow.record_id).latest("seq")
    assert entry.actor == "fr-1" and "address and checklist" in entry.details
    assert client.get(f"/cases/visits/{theirs.pk}/").status_code == 403
    assert AuditEntry.objects.filter(action="denied", actor="fr-1").exists()


def test_the_round_of_visits_is_ordered_by_district_and_mahalla(team, world, client):
    from test_eligibility_fixtures import household

    from sijill.cases.services import open_or_join_case

    homes = [("HH-R1", "الكرخ", "905"), ("HH-R2", "الرصافة", "611"), ("HH-R3", "الكرخ", "112"),
             ("HH-R4", "الرصافة", "95")]
    cases = {}
    for n, (code, district, mahalla) in enumerate(homes):
        (head,), _ = household(code, "بغداد", "أسرة فقيرة", AS_OF.replace(year=2020), [(f"REG-R{n}", "علي", "head")],
                               125_000)
        address(code, district, mahalla)
        cases[code] = open_or_join_case(head, source="tip", actor=None, reason="بلاغ")
        workflow.assign(cases[code], team["researcher"], actor=team["worker"], reason="تكليف")
    client.force_login(team["researcher"])
    page = client.get("/cases/visits/").content.decode()
    order = sorted(cases.values(), key=lambda c: page.index(c.reference))
    # الرصافة before الكرخ (alphabetical in Arabic), and mahalla 95 before 611 (as numbers, not as text)
    assert [c.reference for c in order] == [cases[k].reference for k in ("HH-R4", "HH-R2", "HH-R3", "HH-R1")]
    entry = AuditEntry.objects.filter(action="view_person", actor="fr-1").latest("seq")
    assert "addresses of assigned visits" in entry.details and cases["HH-R1"].reference in entry.details


def test_a_visit_answers_the_checklist_with_evidence_or_is_refused(team, world):
    case = Case.objects.get(person=world.widow)
    workflow.assign(case, team["researcher"], actor=team["worker"], reason="تكليف")
    report = {"client_uuid": str(uuid.uuid4()), "household_present": "true"}
    with pytest.raises(visits.VisitRefused, match=r"Answer every item|أجب عن كل"):
        visits.submit(case, team["researcher"], report)
    answers = checklist_answers(case)
    answers[questions(case)[0].name("evidence")] = "none"
    with pytest.raises(visits.VisitRefused):
        visits.submit(case, team["researcher"], {**report, **answers})
    answers = checklist_answers(case, evidence="document", identity="established", marital_status="not_established",
                                husband_present="not_established", contract_exists="unverified")
    answers[questions(case)[1].name("checknote")] = "البطاقة الوطنية: أرملة"
    visit, _ = visits.submit(case, team["researcher"], {**report, **answers, "latitude": "33.3", "longitude": "44.4"})
    stored = {c.item: c for c in VisitCheck.objects.filter(visit=visit)}
    assert set(stored) == {"identity", "marital_status", "husband_present", "contract_exists"}
    assert stored["marital_status"].answer == "not_established" and stored["marital_status"].evidence == "document"
    assert stored["marital_status"].note == "البطاقة الوطنية: أرملة" and stored["contract_exists"].evidence == "none"
    assert stored["identity"].question == checklist("marriage_contract")[0].ar
    location = world.widow.membership.household.locations.get()  # the position taken at the door is kept
    assert str(location.latitude) == "33.300000" and case.reference in location.source


def _walk_to_decision(case, team, outcome, answers):
    workflow.assign(case, team["researcher"], actor=team["worker"], reason="تكليف")
    visits.submit(case, team["researcher"], {"household_present": "true", **answers})
    workflow.propose(case, outcome, actor=team["worker"], reason="مقترح")
    if outcome == Outcome.CONFIRMED:
        notices.issue_notice(case, actor=team["worker"])
        workflow.response(case, actor=team["worker"], reason="ردت المستفيدة", replied=True)
    decisions.decide(case, outcome, actor=team["decider"], reason="قرار اللجنة")


def test_the_case_the_decision_and_the_reports_use_the_answers(team, world, client):
    from sijill.reports.figures import cleared_by_checks

    widow = Case.objects.get(person=world.widow)
    _walk_to_decision(widow, team, Outcome.CLEARED,
                      checklist_answers(widow, identity="established", marital_status="not_established",
                                        husband_present="not_established", contract_exists="not_established"))
    son = Case.objects.get(person=world.son)
    _walk_to_decision(son, team, Outcome.CONFIRMED, checklist_answers(son))
    client.force_login(team["worker"])
    page = client.get(f"/cases/{widow.pk}/").content.decode()
    assert "لم يثبت" in page and checklist("marriage_contract")[1].ar in page
    assert "نتيجة التحقق الميداني من المخالفات: لم يثبت 1" in page
    evidence = AuditEntry.objects.filter(action="decision_evidence", target_id=widow.reference).get()
    assert '"verdict":"not_established"' in evidence.details
    rows = {(r["rule"], r["item"]): r for r in cleared_by_checks().rows}
    marriage = widow.findings.get().rule.name_ar
    assert rows[(marriage, checklist("marriage_contract")[1].ar)]["cleared"] == 1
    assert rows[(marriage, checklist("marriage_contract")[0].ar)]["cleared"] == 0
    death = son.findings.get().rule.name_ar
    assert rows[(death, checklist("death")[1].ar)] == {**rows[(death, checklist("death")[1].ar)],
                                                      "answered": 1, "not_established": 0, "cleared": 0}


def _joining_forms(data: bytes) -> tuple[int, int]:
    """(glyphs of the embedded fonts that no character maps to, glyphs characters map to). HarfBuzz shaping
    draws Arabic letters with their initial, medial and final forms, which no character maps to; unshaped
    text would use only the isolated forms the character map gives."""
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    forms, mapped = set(), set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            by_char = set(subset.getBestCmap().values())
            mapped |= by_char
            forms |= set(subset.getGlyphOrder()) - by_char - {".notdef"}
    return len(forms), len(mapped)


def test_a_confirmed_case_is_referred_with_an_arabic_evidence_bundle(team, world, client):
    from pypdf import PdfReader

    case = Case.objects.get(person=world.widow)
    address("HH-B1", "الكرخ", "905", located=True)
    workflow.assign(case, team["researcher"], actor=team["worker"], reason="تكليف")
    with pytest.raises(referrals.ReferralRefused):  # no referral before the due process ends in a decision
        referrals.refer(case, "integrity_commission", actor=team["decider"], reason="تزوير")
    case.refresh_from_db()
    visits.submit(case, team["researcher"], {"household_present": "true", "observations": "الزوج يقيم في المنزل",
                                             "recommendation": "confirmed", **checklist_answers(case),
                                             "signature": "data:image/png;base64," + _png_base64()},
                  photos=[visits.photo_from_data_url("data:image/png;base64," + _png_base64())])
    workflow.propose(case, Outcome.CONFIRMED, actor=team["worker"], reason="ثبت الزواج")
    notices.issue_notice(case, actor=team["worker"])
    workflow.response(case, actor=team["worker"], reason="لم تقدم المستفيدة ما ينفي", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار اللجنة")

    client.force_login(team["decider"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "هيئة النزاهة الاتحادية" in page and 'name="refer-recipient"' in page
    assert "محلة 905، زقاق 12، دار 7" in page  # the caseworker sees where the household lives too
    client.post(f"/cases/{case.pk}/refer/", {"refer-recipient": "integrity_commission", "refer-reason": "تزوير"})
    referral = case.referrals.get()
    assert referral.status == ReferralStatus.PREPARED and referral.reference.startswith("R-" + case.reference)
    pdf = client.get(f"/cases/referrals/{referral.pk}.pdf")
    data = b"".join(pdf.streaming_content)
    assert pdf["Content-Type"] == "application/pdf" and data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    for words in ("إحالة قانونية", "هيئة النزاهة الاتحادية", "الإصدار", "marriage_contract",
                  checklist("marriage_contract")[1].ar[:20], "الزوج يقيم في المنزل", "قرار اللجنة", "محلة", "905",
                  "الصورة", "التسلسل الزمني", case.reference):
        assert words in text, words
    forms, mapped = _joining_forms(data)
    assert forms > mapped  # shaped: letters joined, not drawn one by one
    assert _right_aligned(data)
    exported = AuditEntry.objects.filter(action="export", target_id=case.reference).latest("seq")
    assert "referral bundle" in exported.details and referral.pdf_sha256 in exported.details

    client.post(f"/cases/referrals/{referral.pk}/status/", {"referral-status": "sent", "referral-reason": "بكتاب",
                                                            "referral-outside_reference": "ن/2026/144"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT and referral.outside_reference == "ن/2026/144"
    assert AuditEntry.objects.filter(action="referral_status", target_id=case.reference).exists()
    assert case.events.filter(reason__contains=referral.reference).count() == 2  # kept in the case's history

    decisions.appeal(case, actor=team["worker"], reason="اعتراض")
    decisions.decide(case, Outcome.CLEARED, actor=team["decider"], reason="ثبت بعد الاعتراض أنه عقد لامرأة أخرى")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN


def _png_base64() -> str:
    import base64

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), (120, 90, 40)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _right_aligned(data: bytes) -> bool:
    """Right to left: the bundle's lines end at the right margin, not start at the left one."""
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(data)).pages[0]
    width = float(page.mediabox.width)
    ends: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            ends.append(tm[4] * cm[0] + cm[4])

    page.extract_text(visitor_text=visit)
    lefts = [x for x in ends if x < width * 0.2]
    return len(ends) > 5 and len(lefts) < len(ends) / 2
