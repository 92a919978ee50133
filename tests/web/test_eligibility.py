"""Rules as versioned data, the evaluator over a cycle's hits, and the what-if preview."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_user
from test_eligibility_fixtures import AS_OF, hit, world_fixture  # noqa: F401 - the `world` fixture

from sijill.cycles.orchestrator import evaluate
from sijill.eligibility.evaluate import RuleSpec, preview
from sijill.eligibility.kinds import Subject, abroad, record
from sijill.eligibility.models import Finding, Rule
from sijill.eligibility.rules import in_force, new_version, put_in_force
from sijill.synth.config import Rules


@pytest.mark.django_db
def test_shipped_rules_are_in_force_with_the_synthetic_worlds_thresholds():
    rules = {r.code: r for r in in_force()}
    assert set(rules) == {"marriage_contract", "death", "abroad", "large_loan", "business_licence",
                          "government_salary", "pension", "insured_employment", "vehicle", "duplicate"}
    synth = Rules()
    assert rules["large_loan"].parameters["min_amount_iqd"] == synth.large_loan_iqd
    assert rules["pension"].parameters["min_amount_iqd"] == synth.pension_iqd
    assert rules["insured_employment"].parameters["min_amount_iqd"] == synth.insured_wage_iqd
    assert rules["vehicle"].parameters["max_vehicle_age_years"] == synth.vehicle_max_age_years
    assert rules["abroad"].parameters["days"] == synth.abroad_days


def test_findings_of_the_cycle_with_dates_amounts_and_facts(world):
    from sijill.registry.models import EnrolmentStatus

    result = evaluate(world.cycle, actor="test", as_of=AS_OF)
    found = {f.rule.code: f for f in Finding.objects.select_related("rule", "case")}
    assert set(found) == {"marriage_contract", "death", "large_loan"}
    assert found["marriage_contract"].effective_date == dt.date(2023, 3, 15)
    assert found["marriage_contract"].monthly_amount_iqd == 225_000
    assert found["marriage_contract"].details["المحكمة"] == "محكمة الأحوال الشخصية في الكرخ"
    assert found["marriage_contract"].details["تاريخ العقد"] == "15/03/2023"
    assert found["death"].effective_date == dt.date(2024, 1, 10)
    assert found["death"].monthly_amount_iqd == 50_000  # the son's share: 225,000 -> 175,000
    assert found["large_loan"].details["loan_amount_iqd"] == "25,000,000"
    assert all(f.rule.version == 1 and f.cycle == world.cycle for f in found.values())
    assert result.cases_opened == 3 and found["death"].case.person == world.son
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE  # a finding alone changes no enrolment

    again = evaluate(world.cycle, actor="test", as_of=AS_OF)
    assert again.created == 0 and again.already == 3 and Finding.objects.count() == 3


def test_hits_awaiting_review_raise_nothing_until_accepted(world):
    from sijill.exchange.models import HitReview, Run

    pending = hit(Run.objects.get(), world.basra_head, "pensions", "NRA-1",
                  {"الراتب الشهري": "600000", "تاريخ الاستحقاق": "2022-01-01"}, review=HitReview.PENDING)
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    assert not Finding.objects.filter(rule__code="pension").exists()
    pending.review = HitReview.ACCEPTED
    pending.save()
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    assert Finding.objects.get(rule__code="pension").effective_date == dt.date(2022, 1, 1)


def test_a_change_is_a_new_version_and_findings_name_theirs(world):
    admin = make_user("administrator")
    loan = Rule.objects.get(code="large_loan", version=1)
    draft = new_version(loan, parameters={**loan.parameters, "min_amount_iqd": 30_000_000}, note="higher",
                        user=admin, active=False)
    assert draft.version == 2 and not draft.active
    assert {r.pk for r in in_force()} >= {loan.pk}  # a draft changes nothing
    put_in_force(draft, user=admin)
    loan.refresh_from_db()
    assert not loan.active and draft.pk in {r.pk for r in in_force()}
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    assert not Finding.objects.filter(rule__code="large_loan").exists()  # 25 million is below the new 30
    loan_v1 = new_version(draft, parameters=loan.parameters, note="back", user=admin, active=True)
    assert loan_v1.version == 3
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    assert Finding.objects.get(rule__code="large_loan").rule.version == 3


def test_what_if_counts_by_governorate_and_programme_without_writing(world):
    loan = Rule.objects.get(code="large_loan")
    lower = preview(RuleSpec(loan.code, loan.kind, loan.agency, {**loan.parameters, "min_amount_iqd": 1}),
                    world.cycle, AS_OF)
    higher = preview(RuleSpec(loan.code, loan.kind, loan.agency, {**loan.parameters, "min_amount_iqd": 10 ** 9}),
                     world.cycle, AS_OF)
    assert (lower.findings, lower.monthly_iqd) == (1, 175_000)
    assert lower.by_governorate == [("البصرة", 1, 175_000)] and lower.by_programme == [("SPN", 1, 175_000)]
    assert higher.findings == 0
    assert not Finding.objects.exists()


def test_rule_pages_preview_and_save_by_role(world, client):
    loan = Rule.objects.get(code="large_loan")
    client.force_login(make_user("analyst"))
    form = {"name_ar": loan.name_ar, "parameters": '{"date_field": "loan_date", "amount_field": "loan_amount_iqd", '
            '"min_amount_iqd": 1000}', "note": "", "cycle": world.cycle.pk}
    page = client.post(f"/eligibility/rules/{loan.pk}/", {**form, "action": "preview"})
    assert page.status_code == 200 and "البصرة" in page.content.decode()
    client.post(f"/eligibility/rules/{loan.pk}/", {**form, "action": "save_in_force"})
    assert Rule.objects.filter(code="large_loan").count() == 1  # an analyst previews, never saves
    client.force_login(make_user("administrator"))
    saved = client.post(f"/eligibility/rules/{loan.pk}/", {**form, "action": "save_in_force"})
    assert saved.status_code == 302 and Rule.objects.get(code="large_loan", active=True).version == 2
    client.force_login(make_user("caseworker", governorates=["بغداد"]))
    assert client.get("/eligibility/rules/").status_code == 403


SUBJECT = Subject(1, 1, "head", dt.date(2020, 1, 1), "أسرة فقيرة", "بغداد", 1, "SPN", 175_000, None, 2)


@pytest.mark.parametrize(("payload", "as_of", "expected"), [
    ({"x": "2024-01-01", "r": None}, dt.date(2024, 7, 1), dt.date(2024, 6, 29)),  # 182 days away, not back
    ({"x": "2024-01-01", "r": "2024-05-01"}, dt.date(2024, 7, 1), None),  # back within 180 days
    ({"x": "2024-01-01", "r": "2024-08-01"}, dt.date(2024, 7, 1), dt.date(2024, 6, 29)),  # return still ahead
    ({"x": "2019-01-01", "r": None}, dt.date(2024, 7, 1), None),  # left before enrolment
])
def test_abroad(payload, as_of, expected):
    found = abroad({"exit_field": "x", "return_field": "r", "days": 180}, payload, SUBJECT, as_of)
    assert (found.effective if found else None) == expected


@pytest.mark.parametrize(("params", "payload", "expected"), [
    ({"date_field": "d", "lasting": True, "model_year_field": "y", "max_vehicle_age_years": 10},
     {"d": "2018-05-01", "y": "٢٠١٦"}, dt.date(2020, 1, 1)),  # owned before enrolment: from enrolment
    ({"date_field": "d", "lasting": True, "model_year_field": "y", "max_vehicle_age_years": 10},
     {"d": "2018-05-01", "y": "2009"}, None),  # too old a vehicle
    ({"date_field": "d", "amount_field": "a", "min_amount_iqd": 20_000_000}, {"d": "02/03/2023", "a": "19999999"},
     None),
    ({"date_field": "d", "amount_field": "a", "min_amount_iqd": 20_000_000}, {"d": "02/03/2023", "a": "20000000"},
     dt.date(2023, 3, 2)),
    ({"date_field": "d"}, {"d": "not a date"}, None),
    ({"date_field": "d", "head_only": True, "household_categories": ["أرملة"]}, {"d": "2023-01-01"}, None),
])
def test_record(params, payload, expected):
    found = record(params, payload, SUBJECT, dt.date(2025, 6, 30))
    assert (found.effective if found else None) == expected


def test_enrolled_twice(world):
    from sijill.registry.models import DuplicatePair, PairStatus

    first, second = sorted([world.widow, world.basra_head], key=lambda p: p.pk)
    DuplicatePair.objects.create(person_a=first, person_b=second, status=PairStatus.SAME)
    evaluate(world.cycle, actor="test", as_of=AS_OF)
    finding = Finding.objects.get(rule__code="duplicate")
    assert finding.person == world.widow  # her household enrolled in 2020, after the Basra one (2019)
    assert finding.effective_date == dt.date(2020, 1, 1) and finding.monthly_amount_iqd == 225_000
    assert evaluate(world.cycle, actor="test", as_of=AS_OF).created == 0


def test_an_analyst_runs_the_rules_over_a_cycle_and_sees_counts(world, client):
    client.force_login(make_user("analyst"))
    rules = client.get("/eligibility/rules/").content.decode()
    assert "قرض مصرفي كبير" in rules and f"/eligibility/cycles/{world.cycle.pk}/" in rules
    done = client.post(f"/eligibility/cycles/{world.cycle.pk}/", {"as_of": "2025-06-30"}, follow=True)
    page = done.content.decode()
    assert "رُصدت 3 مخالفة جديدة" in page and "البصرة" in page and "<td>175000</td>" in page
    assert world.widow.given not in page  # counts, never names
    from sijill.audit.models import AuditEntry
    assert AuditEntry.objects.filter(action="rules_evaluated", target_id=world.cycle.code).exists()


def test_the_same_fact_in_the_next_cycle_opens_no_second_case(world):
    from sijill.cases.models import Case, CaseState
    from sijill.exchange.models import Cycle, Hit, Run

    evaluate(world.cycle, actor="test", as_of=AS_OF)
    Case.objects.update(state=CaseState.CLOSED)  # verified and closed (cleared, or confirmed and recovered)
    cycle = Cycle.objects.create(code="2025-07")
    run = Run.objects.create(cycle=cycle)
    for old in Hit.objects.filter(cycle=world.cycle).select_related("agency", "person"):
        hit(run, old.person, old.agency.code, old.partner_record_id, old.payload)  # the agencies send it again
    result = evaluate(cycle, actor="test", as_of=dt.date(2025, 7, 31))
    assert (result.created, result.already, result.cases_opened) == (0, 3, 0)
    assert Case.objects.count() == 3 and not Case.objects.exclude(state=CaseState.CLOSED).exists()
