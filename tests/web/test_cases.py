"""Cases: the state machine and its deadlines, decisions that suspend, recalculate or reinstate, recovery in
exact dinars, assignment by governorate and workload, the notice PDF, and who may see what."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from conftest import make_user
from field import checklist_answers
from test_eligibility_fixtures import AS_OF, world_fixture  # noqa: F401 - the `world` fixture

from sijill.cases import decisions, notices, recovery, visits, workflow
from sijill.cases.assignment import assign_open_cases
from sijill.cases.models import Case, CaseEvent, CaseState, EntryKind, Outcome, Visit
from sijill.cases.services import open_or_join_case
from sijill.cycles.orchestrator import evaluate
from sijill.registry.models import EnrolmentStatus

S = CaseState


@pytest.fixture
def team(world):
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    return {"worker": make_user("caseworker", "cw-baghdad", governorates=["بغداد"]),
            "decider": make_user("caseworker", "cw-baghdad-2", governorates=["بغداد"]),
            "basra": make_user("caseworker", "cw-basra", governorates=["البصرة"]),
            "researcher": make_user("field_researcher", "fr-1", governorates=["بغداد"]),
            "other": make_user("field_researcher", "fr-2", governorates=["بغداد"])}


def case_of(person) -> Case:
    return Case.objects.get(person=person)


def visit(case, researcher, **data):
    return visits.submit(case, researcher, {"client_uuid": str(uuid.uuid4()), "household_present": "true",
                                            "observations": "زيارة", "recommendation": "confirmed",
                                            **checklist_answers(case), **data})[0]


def to_notice(case, team):
    workflow.assign(case, team["researcher"], actor=team["worker"], reason="تكليف")
    visit(case, team["researcher"])
    workflow.propose(case, Outcome.CONFIRMED, actor=team["worker"], reason="ثبت الزواج")
    return notices.issue_notice(case, actor=team["worker"])


def test_no_transition_skips_the_visit_or_the_response_period(team, world, monkeypatch, settings):
    settings.CASE_RESPONSE_DAYS = 30
    case, worker = case_of(world.widow), team["worker"]
    for step in (lambda: workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="x"),
                 lambda: decisions.decide(case, Outcome.CLEARED, actor=team["decider"], reason="x"),
                 lambda: workflow.close(case, actor=worker, reason="x")):
        with pytest.raises(workflow.TransitionError):
            step()
    workflow.assign(case, team["researcher"], actor=worker, reason="تكليف")
    with pytest.raises(workflow.TransitionError):  # assigned, but nobody has visited yet
        workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="x")
    visit(case, team["researcher"])
    workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="ثبت الزواج")
    with pytest.raises(workflow.TransitionError):  # a confirmation needs the notice and its period
        decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="x")
    notice = notices.issue_notice(case, actor=worker)
    assert notice.respond_by == workflow.today() + dt.timedelta(days=30) and case.due_on == notice.respond_by
    with pytest.raises(workflow.TransitionError, match="مدة الرد"):
        workflow.response(case, actor=worker, reason="no reply", replied=False)
    with pytest.raises(workflow.TransitionError):
        decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="x")
    monkeypatch.setattr(workflow, "today", lambda: notice.respond_by + dt.timedelta(days=1))
    workflow.response(case, actor=worker, reason="انتهت المدة دون رد", replied=False)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    states = list(case.events.values_list("from_state", "to_state"))
    assert states == [("", S.OPENED), (S.OPENED, S.ASSIGNED), (S.ASSIGNED, S.VISITED), (S.VISITED, S.PROPOSED),
                      (S.PROPOSED, S.NOTICE_SENT), (S.NOTICE_SENT, S.RESPONSE), (S.RESPONSE, S.DECIDED)]
    assert all(e.reason for e in case.events.all())
    from sijill.audit.models import AuditEntry
    assert AuditEntry.objects.filter(action="case_transition", target_id=case.reference).count() == 6


def test_a_confirmed_decision_suspends_and_recovers_and_an_appeal_reinstates(team, world):
    case, worker = case_of(world.widow), team["worker"]
    to_notice(case, team)
    workflow.response(case, actor=worker, reason="ردّت المستفيدة", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.SUSPENDED
    # Paid months that began on or after 2023-03-15: April 2023 to June 2025, 27 months of 225,000.
    assert case.recovery.amount_due_iqd == 27 * 225_000
    assert (case.recovery.computed_from, case.recovery.computed_until) == (dt.date(2023, 3, 15), workflow.today())
    recovery.set_plan(case.recovery, "instalments", 4, actor=worker)
    recovery.add_entry(case.recovery, EntryKind.PAYMENT, 1_000_000, dt.date(2026, 1, 5), actor=worker)
    assert recovery.balance(case.recovery) == 27 * 225_000 - 1_000_000

    decisions.appeal(case, actor=worker, reason="اعتراض: العقد لشخص آخر")
    assert case.state == S.RESPONSE and case.appeals == 1
    decisions.decide(case, Outcome.CLEARED, actor=team["decider"], reason="قبل الاعتراض")
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE
    assert recovery.balance(case.recovery) == 0
    assert case.recovery.entries.last().kind == EntryKind.WRITE_OFF


def test_a_death_recalculates_the_households_amount(team, world):
    case, worker = case_of(world.son), team["worker"]
    to_notice(case, team)
    workflow.response(case, actor=worker, reason="أكدت الأسرة الوفاة", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE and world.enrolment.monthly_amount_iqd == 175_000
    assert case.recovery.amount_due_iqd == 17 * 50_000  # February 2024 to June 2025: the son's share


def test_instalments_add_up_exactly_and_entries_never_exceed_the_balance(team, world):
    case, worker = case_of(world.widow), team["worker"]
    to_notice(case, team)
    workflow.response(case, actor=worker, reason="رد", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    owed = case.recovery
    owed.amount_due_iqd = 1_000_001
    owed.save()
    recovery.set_plan(owed, "instalments", 3, actor=worker)
    plan = recovery.schedule(owed, dt.date(2026, 1, 1))
    assert [a for _, a in plan] == [333_334, 333_334, 333_333] and plan[2][0] == dt.date(2026, 3, 1)
    with pytest.raises(ValueError, match="المتبقي"):
        recovery.add_entry(owed, EntryKind.PAYMENT, 1_000_002, dt.date(2026, 1, 1), actor=worker)
    for day, amount in plan:
        recovery.add_entry(owed, EntryKind.DEDUCTION, amount, day, actor=worker)
    assert recovery.balance(owed) == 0


def test_assignment_by_governorate_and_workload(team, world):
    assert Case.objects.filter(state=S.OPENED).count() == 3
    done = assign_open_cases(Case.objects.all(), actor=team["worker"])
    assert done == {"assigned": 2, "unassigned": 1}  # nobody visits in Basra
    researchers = set(Case.objects.filter(state=S.ASSIGNED).values_list("assigned_to__username", flat=True))
    assert researchers == {"fr-1", "fr-2"}  # one each: the fewer visits outstanding first
    assert case_of(world.basra_head).state == S.OPENED


def test_open_or_join_case_keeps_one_open_case_per_person(team, world):
    case = case_of(world.widow)
    again = open_or_join_case(world.widow, source="tip", actor=team["worker"], reason="بلاغ")
    assert again == case and case.events.count() == 2
    case.state = S.CLOSED
    case.save()
    new = open_or_join_case(world.widow, source="tip", actor=team["worker"], reason="بلاغ جديد")
    assert new != case and new.governorate == "بغداد" and new.reference.startswith("SJ-")
    with pytest.raises(ValueError):
        open_or_join_case(world.widow, source="rumour", actor=None, reason="x")


def test_the_notice_is_arabic_with_the_source_rights_and_deadline(team, world):
    from pypdf import PdfReader

    case = case_of(world.widow)
    notice = to_notice(case, team)
    data = notices.notice_file(notice).read_bytes()
    assert data.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for words in ("حقكم في الرد", "حقكم في الاعتراض", "إشعار بنتيجة التدقيق", "مجلس القضاء الأعلى",
                  notice.respond_by.strftime("%d/%m/%Y")):
        assert words in text, words


def test_the_phone_outbox_sends_a_visit_once(team, world, client):
    case = case_of(world.widow)
    workflow.assign(case, team["researcher"], actor=team["worker"], reason="تكليف")
    report = {"case": case.pk, "client_uuid": str(uuid.uuid4()), "household_present": "false",
              "living_conditions": "comfortable", "observations": "منزل حديث وسيارة", "recommendation": "confirmed",
              "latitude": "33.312805", "longitude": "44.361488", "visited_at": "2026-01-05T10:00:00+03:00",
              "signature": "data:image/png;base64,iVBORw0KGgo=",
              "photos": ["data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ=="], **checklist_answers(case)}
    client.force_login(team["other"])
    assert client.post("/cases/visits/upload/", report, content_type="application/json").status_code == 403
    client.force_login(team["researcher"])
    first = client.post("/cases/visits/upload/", report, content_type="application/json")
    resent = client.post("/cases/visits/upload/", report, content_type="application/json")
    assert (first.status_code, resent.status_code) == (201, 200)
    assert first.json()["visit"] == resent.json()["visit"] and Visit.objects.count() == 1
    stored = Visit.objects.get()
    assert str(stored.latitude) == "33.312805" and stored.photos.count() == 1 and stored.household_present is False
    case.refresh_from_db()
    assert case.state == S.VISITED


def test_a_researcher_sees_only_their_own_visits(team, world, client):
    mine, theirs = case_of(world.widow), case_of(world.son)
    workflow.assign(mine, team["researcher"], actor=team["worker"], reason="تكليف")
    workflow.assign(theirs, team["other"], actor=team["worker"], reason="تكليف")
    client.force_login(team["researcher"])
    page = client.get("/cases/visits/").content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert client.get(f"/cases/visits/{mine.pk}/").status_code == 200
    assert client.get(f"/cases/visits/{theirs.pk}/").status_code == 403
    assert client.get("/cases/").status_code == 403  # the case files are the caseworkers'
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30)).save(jpeg, "JPEG")
    photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg.getvalue(), "image/jpeg") for i in range(2)]
    form = client.post(f"/cases/visits/{mine.pk}/", {"household_present": "true", "living_conditions": "poor",
                                                      "observations": "أسرة فقيرة", "recommendation": "cleared",
                                                      "photos": photos, **checklist_answers(mine)})
    assert form.status_code == 302 and Visit.objects.get().case == mine
    assert Visit.objects.get().photos.count() == 2


def test_caseworkers_see_only_the_cases_of_their_governorates(team, world, client):
    baghdad, basra = case_of(world.widow), case_of(world.basra_head)
    client.force_login(team["basra"])
    listing = client.get("/cases/").content.decode()
    assert basra.reference in listing and baghdad.reference not in listing
    assert client.get(f"/cases/{baghdad.pk}/").status_code == 403
    page = client.get(f"/cases/{basra.pk}/").content.decode()
    assert "قرض" in page and world.basra_head.given in page
    from sijill.audit.models import AuditEntry
    assert AuditEntry.objects.filter(action="view_person", target_id=world.basra_head.record_id).exists()


def test_the_case_page_walks_a_case_to_its_decision(team, world, client, monkeypatch):
    case, worker = case_of(world.widow), team["worker"]
    client.force_login(worker)
    client.post(f"/cases/{case.pk}/assign/", {"researcher": team["researcher"].pk, "assign-reason": "تكليف"})
    case.refresh_from_db()
    assert case.state == S.ASSIGNED
    refused = client.post(f"/cases/{case.pk}/propose/", {"propose-outcome": "confirmed", "propose-reason": "x"},
                          follow=True)
    assert "لا يمكن اتخاذ هذا الإجراء" in refused.content.decode()
    visit(case, team["researcher"])
    client.post(f"/cases/{case.pk}/propose/", {"propose-outcome": "confirmed", "propose-reason": "ثبت"})
    client.post(f"/cases/{case.pk}/notice/")
    case.refresh_from_db()
    assert case.state == S.NOTICE_SENT
    pdf = client.get(f"/cases/notices/{case.notices.get().pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    client.post(f"/cases/{case.pk}/response/", {"response-replied": "true", "response-text": "رد المستفيدة",
                                                "response-received_on": "2026-01-04", "response-channel": "letter"})
    refused = client.post(f"/cases/{case.pk}/decide/", {"decide-outcome": "confirmed", "decide-reason": "قرار"},
                          follow=True)
    case.refresh_from_db()
    assert case.state == S.RESPONSE and "أربع عيون" in refused.content.decode()  # the proposer cannot decide
    client.force_login(team["decider"])
    client.post(f"/cases/{case.pk}/decide/", {"decide-outcome": "confirmed", "decide-reason": "قرار"})
    case.refresh_from_db()
    assert case.state == S.DECIDED and case.outcome == Outcome.CONFIRMED and case.decided_by == team["decider"]
    assert CaseEvent.objects.filter(case=case, actor=worker).count() >= 4


def test_viewing_a_visit_photo_is_audited(team, world, client):
    from sijill.audit.models import AuditEntry

    case = case_of(world.widow)
    workflow.assign(case, team["researcher"], actor=team["worker"], reason="تكليف")
    visits.submit(case, team["researcher"], {"client_uuid": str(uuid.uuid4()), "recommendation": "confirmed",
                                             "photos": [], **checklist_answers(case)},
                  photos=[visits.photo_from_data_url("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==")])
    photo = Visit.objects.get().photos.get()
    client.force_login(team["basra"])
    assert client.get(f"/cases/photos/{photo.pk}/").status_code == 403
    client.force_login(team["worker"])
    response = client.get(f"/cases/photos/{photo.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\xff\xd8")
    entry = AuditEntry.objects.filter(action="view_person", target_id=world.widow.record_id).latest("seq")
    assert entry.actor == "cw-baghdad" and "visit photo" in entry.details


def test_an_appeal_against_a_clearance_cannot_confirm_without_a_notice(team, world):
    case, worker = case_of(world.widow), team["worker"]
    workflow.assign(case, team["researcher"], actor=worker, reason="تكليف")
    visit(case, team["researcher"], recommendation="cleared")
    workflow.propose(case, Outcome.CLEARED, actor=worker, reason="لم يثبت")
    decisions.decide(case, Outcome.CLEARED, actor=team["decider"], reason="تبرئة")
    decisions.appeal(case, actor=worker, reason="طعن")
    assert case.state == S.RESPONSE and not case.notices.exists()
    with pytest.raises(workflow.TransitionError):
        decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="تأكيد دون إشعار")
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE and not hasattr(case, "recovery")


def test_a_person_recorded_twice_in_one_household_costs_one_members_share(team, world):
    from sijill.registry.models import DuplicatePair, PairStatus

    son, daughter = (p for p in world.enrolment.household.memberships.order_by("pk").values_list(
        "person", flat=True)[1:3])
    DuplicatePair.objects.create(person_a_id=son, person_b_id=daughter, status=PairStatus.SAME)
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    case, worker = Case.objects.get(person_id=daughter), team["worker"]
    assert list(case.findings.values_list("rule__code", "monthly_amount_iqd")) == [("duplicate", 50_000)]
    to_notice(case, team)
    workflow.response(case, actor=worker, reason="رد", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    world.enrolment.refresh_from_db()
    # the household keeps its enrolment, without the duplicate member's share; only that share is recovered
    assert world.enrolment.status == EnrolmentStatus.ACTIVE and world.enrolment.monthly_amount_iqd == 175_000
    assert case.recovery.amount_due_iqd == 65 * 50_000  # February 2020 to June 2025


def test_the_case_page_shows_conditions_and_enrolment_changes_in_arabic(team, world, client):
    case, worker = case_of(world.widow), team["worker"]
    workflow.assign(case, team["researcher"], actor=worker, reason="تكليف")
    visit(case, team["researcher"], living_conditions="comfortable")
    workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="ثبت الزواج")
    notices.issue_notice(case, actor=worker)
    workflow.response(case, actor=worker, reason="رد", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    client.force_login(worker)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    for english in ("comfortable", "active →", "→ suspended"):
        assert english not in page, english
    assert "جيدة" in page and "فعّال → موقوف مؤقتاً" in page


def test_clearing_one_case_keeps_another_cases_recalculation(team, world):
    worker = team["worker"]
    for person in (world.widow, world.son):  # her remarriage suspends; his death lowers the amount
        case = case_of(person)
        to_notice(case, team)
        workflow.response(case, actor=worker, reason="رد", replied=True)
        decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    world.enrolment.refresh_from_db()
    assert (world.enrolment.status, world.enrolment.monthly_amount_iqd) == (EnrolmentStatus.SUSPENDED, 175_000)
    widow = case_of(world.widow)
    decisions.appeal(widow, actor=worker, reason="اعتراض: العقد لشخص آخر")
    decisions.decide(widow, Outcome.CLEARED, actor=team["decider"], reason="قبل الاعتراض")
    world.enrolment.refresh_from_db()
    # reinstated, but without the deceased son's share
    assert (world.enrolment.status, world.enrolment.monthly_amount_iqd) == (EnrolmentStatus.ACTIVE, 175_000)


def test_an_enrolment_two_cases_suspended_stays_suspended_until_both_are_cleared(team, world):
    from test_eligibility_fixtures import hit

    from sijill.exchange.models import Run
    from sijill.registry.models import Person

    daughter = Person.objects.get(record_id="REG-B3")
    hit(Run.objects.get(cycle=world.cycle), daughter, "loans", "BNK-2",
        {"bank": "Rafidain", "loan_no": "4002", "loan_amount_iqd": "30,000,000", "loan_date": "2024-03-01"})
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    worker = team["worker"]
    for person in (world.widow, daughter):  # her remarriage, then her daughter's loan: both suspend
        case = case_of(person)
        to_notice(case, team)
        workflow.response(case, actor=worker, reason="رد", replied=True)
        decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.SUSPENDED
    for person, expected in ((world.widow, EnrolmentStatus.SUSPENDED), (daughter, EnrolmentStatus.ACTIVE)):
        case = case_of(person)
        decisions.appeal(case, actor=worker, reason="اعتراض")
        decisions.decide(case, Outcome.CLEARED, actor=team["decider"], reason="قبل الاعتراض")
        world.enrolment.refresh_from_db()
        assert world.enrolment.status == expected, person  # the other case still holds it, then nothing does


@pytest.mark.parametrize("outcome", [Outcome.CONFIRMED, Outcome.CLEARED])
def test_whoever_proposes_a_decision_cannot_take_it(team, world, outcome):
    """Four eyes: a stop and its recovery (confirmed), a reinstatement and its write-off (cleared), and a new
    decision after an appeal, are each taken by someone other than the person who proposed them."""
    case, worker, decider = case_of(world.widow), team["worker"], team["decider"]
    workflow.assign(case, team["researcher"], actor=worker, reason="تكليف")
    visit(case, team["researcher"])
    workflow.propose(case, outcome, actor=worker, reason="اقتراح")
    if outcome == Outcome.CONFIRMED:
        notices.issue_notice(case, actor=worker)
        workflow.response(case, actor=worker, reason="رد", replied=True)
    with pytest.raises(workflow.TransitionError, match="أربع عيون"):
        decisions.decide(case, outcome, actor=worker, reason="قراري")
    decisions.decide(case, outcome, actor=decider, reason="قرار")
    case.refresh_from_db()
    assert case.state == S.DECIDED and case.decided_by == decider
    decisions.appeal(case, actor=worker, reason="اعتراض")
    with pytest.raises(workflow.TransitionError, match="أربع عيون"):  # the proposal still stands after an appeal
        decisions.decide(case, Outcome.CLEARED, actor=worker, reason="قراري")
    decisions.decide(case, Outcome.CLEARED, actor=decider, reason="قبل الاعتراض")


def test_confirmed_cleared_and_confirmed_again_leaves_a_consistent_ledger(team, world):
    """The probe: the clearance's write-off stayed standing after a new confirmation, so nothing was owed."""
    case, worker, decider = case_of(world.widow), team["worker"], team["decider"]
    to_notice(case, team)
    workflow.response(case, actor=worker, reason="رد", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=decider, reason="قرار")
    due = case.recovery.amount_due_iqd
    recovery.add_entry(case.recovery, EntryKind.PAYMENT, 1_000_000, dt.date(2026, 1, 5), actor=worker)
    decisions.appeal(case, actor=worker, reason="اعتراض")
    decisions.decide(case, Outcome.CLEARED, actor=decider, reason="قبل الاعتراض")
    assert recovery.balance(case.recovery) == 0
    decisions.appeal(case, actor=worker, reason="طعن الوزارة: العقد صحيح")
    decisions.decide(case, Outcome.CONFIRMED, actor=decider, reason="قرار ثان")
    case.recovery.refresh_from_db()
    ledger = [(e.kind, e.amount_iqd) for e in case.recovery.entries.order_by("pk")]
    assert ledger == [(EntryKind.PAYMENT, 1_000_000), (EntryKind.WRITE_OFF, due - 1_000_000),
                      (EntryKind.REVERSAL, due - 1_000_000)]
    assert recovery.balance(case.recovery) == case.recovery.amount_due_iqd - 1_000_000 > 0
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.SUSPENDED
    decisions.appeal(case, actor=worker, reason="اعتراض ثالث")  # and cleared once more: written off again
    decisions.decide(case, Outcome.CLEARED, actor=decider, reason="قبل")
    assert recovery.balance(case.recovery) == 0
    with pytest.raises(ValueError):
        recovery.add_entry(case.recovery, EntryKind.REVERSAL, 1, dt.date(2026, 2, 1), actor=worker)


def test_the_beneficiarys_reply_is_recorded_with_its_documents_and_shown_to_the_decider(team, world, client):
    """Not a checkbox: the reply's text, day, channel and documents are kept and shown on the case page."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sijill.audit.models import AuditEntry
    from sijill.cases.models import Reply

    case, worker = case_of(world.widow), team["worker"]
    to_notice(case, team)
    client.force_login(worker)
    missing = client.post(f"/cases/{case.pk}/response/", {"response-replied": "true"}, follow=True)
    assert "مطلوب" in missing.content.decode() or "Needed" in missing.content.decode()
    case.refresh_from_db()
    assert case.state == S.NOTICE_SENT  # a tick alone records nothing
    said = "العقد المذكور لأختي وليس لي، وأرفقت صورة هويتها."
    papers = [SimpleUploadedFile("هوية الأخت.pdf", b"%PDF-1.4 a court paper", content_type="application/pdf"),
              SimpleUploadedFile("letter.jpg", b"\xff\xd8 a letter", content_type="image/jpeg")]
    client.post(f"/cases/{case.pk}/response/", {"response-replied": "true", "response-text": said,
                                                "response-received_on": "2026-01-04", "response-channel": "in_person",
                                                "response-attachments": papers})
    case.refresh_from_db()
    reply = Reply.objects.get(case=case)
    assert case.state == S.RESPONSE and reply.text == said and reply.channel == "in_person"
    assert str(reply.received_on) == "2026-01-04" and reply.recorded_by == worker
    assert sorted(a.name for a in reply.attachments.all()) == ["letter.jpg", "هوية الأخت.pdf"]
    client.force_login(team["decider"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert said in page and "هوية الأخت.pdf" in page and "2026-01-04" in page
    document = reply.attachments.get(name="letter.jpg")
    assert b"".join(client.get(f"/cases/replies/documents/{document.pk}/").streaming_content) == b"\xff\xd8 a letter"
    assert AuditEntry.objects.filter(action="view_person", details__contains='"what":"reply document"').exists()
    outsider = make_user("caseworker", "cw-basra-2", governorates=["البصرة"])
    client.force_login(outsider)
    assert client.get(f"/cases/replies/documents/{document.pk}/").status_code in (403, 404)
    event = CaseEvent.objects.get(case=case, to_state=S.RESPONSE)
    assert event.reason == said


@pytest.mark.parametrize("stage", ["visited", "proposed", "notice_sent"])
def test_new_findings_joining_a_visited_case_need_their_own_visit(team, world, stage):
    """The visit verified what was known then; a finding that arrives later goes back to the researcher before
    any proposal or decision can cover it."""
    from sijill.eligibility.models import Finding, Rule

    case, worker = case_of(world.widow), team["worker"]
    workflow.assign(case, team["researcher"], actor=worker, reason="تكليف")
    visit(case, team["researcher"])
    if stage != "visited":
        workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="ثبت")
    if stage == "notice_sent":
        notices.issue_notice(case, actor=worker)
    vehicle = Finding.objects.create(rule=Rule.objects.filter(code="vehicle").first(), person=world.widow,
                                     effective_date=dt.date(2024, 5, 1), monthly_amount_iqd=225_000)
    open_or_join_case(world.widow, source="cycle", actor=worker, reason="نتائج دورة جديدة", findings=[vehicle])
    case.refresh_from_db()
    assert case.state == S.ASSIGNED and case.proposed_outcome == "" and case.assigned_to == team["researcher"]
    assert "زيارة" in case.events.order_by("-pk").first().reason
    with pytest.raises(workflow.TransitionError):
        workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="ثبت")
    visit(case, team["researcher"])
    case.refresh_from_db()
    assert case.state == S.VISITED and case.findings.filter(pk=vehicle.pk).exists()


def test_findings_a_cycle_adds_to_a_visited_case_send_it_back_for_a_visit(team, world):
    from sijill.cases.services import open_cases_for_persons
    from sijill.eligibility.models import Finding, Rule

    case, worker = case_of(world.widow), team["worker"]
    workflow.assign(case, team["researcher"], actor=worker, reason="تكليف")
    visit(case, team["researcher"])
    Finding.objects.create(rule=Rule.objects.filter(code="vehicle").first(), person=world.widow,
                           effective_date=dt.date(2024, 5, 1))
    assert open_cases_for_persons([world.widow.pk], source="cycle", actor="evaluator", reason="دورة") == (0, 1)
    case.refresh_from_db()
    assert case.state == S.ASSIGNED and case.findings.count() == 2


def test_nobody_writes_off_a_balance_alone(team, world, client):
    """A write-off follows only from a clearance (proposed by one person, decided by another)."""
    case, worker = case_of(world.widow), team["worker"]
    to_notice(case, team)
    workflow.response(case, actor=worker, reason="رد", replied=True)
    decisions.decide(case, Outcome.CONFIRMED, actor=team["decider"], reason="قرار")
    client.force_login(team["decider"])
    before = recovery.balance(case.recovery)
    client.post(f"/cases/{case.pk}/entry/", {"entry-kind": "write_off", "entry-amount_iqd": "1000",
                                             "entry-on": "2026-01-05", "entry-reference": "عفو"})
    assert recovery.balance(case.recovery) == before and not case.recovery.entries.exists()
    client.post(f"/cases/{case.pk}/entry/", {"entry-kind": "payment", "entry-amount_iqd": "1000",
                                             "entry-on": "2026-01-05", "entry-reference": "وصل ١"})
    assert recovery.balance(case.recovery) == before - 1000
