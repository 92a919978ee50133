"""The ministry's reports against a synthetic world: findings from its truth (truth/expected_findings.csv),
cases, decisions, stops and recoveries made from a plan, and every figure checked against counts this test
computes itself from the world's CSV files and the plan (never from the report code or the database)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import make_user
from django.db import transaction
from django.test import Client

from sijill import identity
from sijill.accounts.roles import Role
from sijill.audit.models import AuditEntry
from sijill.cases.models import Case, CaseState, EnrolmentChange, EntryKind, Recovery, RecoveryEntry
from sijill.cases.services import open_or_join_case
from sijill.eligibility.models import Finding, Rule
from sijill.exchange.models import Agency, Cycle
from sijill.registry.importing.service import import_file
from sijill.registry.models import Enrolment, Person, Programme
from sijill.reports import figures
from sijill.reports.cycle import cycle_report

pytestmark = pytest.mark.django_db

# truth reason -> the shipped rule's code (the others have the same name)
RULE_OF = {"deceased": "death", "remarried": "marriage_contract"}
# the cycle report's lines, as the ministry announces them, in truth's reasons
ANNOUNCED = {"عقود زواج": {"remarried"}, "قروض كبيرة": {"large_loan"},
             "محطات وقود ومولدات أهلية": {"business_licence"}, "وفيات": {"deceased"},
             "سفر وإقامة خارج العراق": {"abroad"}}
NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


def outcome_of(k: int) -> str:
    """The plan: the k-th beneficiary (by record number) is confirmed, cleared or still open."""
    return {0: "confirmed", 1: "confirmed", 2: "cleared", 3: "visited", 4: "opened"}[k % 5]


def decided_month(k: int) -> dt.date:
    return dt.date(2026, 1 + k % 3, 1)


def age_days(k: int) -> int:
    return (k * 7) % 250


def recovery_plan(k: int) -> tuple[int, int, int]:
    """(due, recovered, written off) for the k-th beneficiary when confirmed."""
    return 50_000 * (k + 1), (20_000 if k % 2 == 0 else 0) + 5_000, 1_000 * k if k % 3 == 0 else 0


def share_taken_off(enrolment_id: str, amount: int) -> int:
    """The plan for a confirmed case's enrolments: one in four keeps drawing, less a dead member's share;
    the others are stopped (all of the amount taken off)."""
    return amount // 3 if zlib.crc32(enrolment_id.encode()) % 4 == 0 else amount


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from sijill.synth import SynthConfig, generate_world

    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, 8000, 3, SynthConfig())
    return folder


@pytest.fixture(scope="module")
def built(world, django_db_setup, django_db_blocker):
    """Built once for the module, in a transaction rolled back at its end (each test runs in a savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build(world)
        transaction.set_rollback(True)


def build(world) -> dict:
    """The world's registry imported; findings, cases and decisions made; and what the test expects."""
    for schema in ("members", "households", "enrolments"):
        import_file(world / "registry" / f"{schema}.csv", schema, actor="test", workers=1)
    members = read_csv(world / "registry" / "members.csv")
    household_of = {m["رقم السجل"]: m["رقم الأسرة"] for m in members}
    governorate_raw = {m["رقم السجل"]: m["المحافظة"] for m in members}
    person_of = {(r["person_id"], household_of.get(r["record_id"])): r["record_id"]
                 for r in read_csv(world / "truth" / "truth.csv") if r["agency"] == "registry"}
    enrolments = defaultdict(list)  # household -> [(enrolment id, programme, amount)], by enrolment id
    for e in sorted(read_csv(world / "registry" / "enrolments.csv"), key=lambda e: e["enrolment_id"]):
        enrolments[e["household_id"]].append((e["enrolment_id"], e["programme"], int(e["monthly_amount_iqd"])))
    truth = [{**row, "record": person_of[(row["person_id"], row["household_id"])]}
             for row in read_csv(world / "truth" / "expected_findings.csv")]
    assert len(truth) > 100

    cycle = Cycle.objects.create(code="2026-06")
    rules, by_person = {}, defaultdict(list)
    for row in truth:
        code = RULE_OF.get(row["reason"], row["reason"])
        if code not in rules:
            rules[code] = Rule.objects.filter(code=code).order_by("-version").first() or Rule.objects.create(
                code=code, name_ar=f"قاعدة {code}", kind="record", agency=row["agency"], active=True)
            if rules[code].agency:
                Agency.objects.get_or_create(code=rules[code].agency, defaults={
                    "name_ar": f"جهة {rules[code].agency}", "schema": rules[code].agency})
        person = Person.objects.get(record_id=row["record"])
        first_enrolment = enrolments[row["household_id"]][0][0]
        by_person[row["record"]].append(Finding.objects.create(
            rule=rules[code], person=person, cycle=cycle, effective_date=row["effective_date"],
            enrolment=Enrolment.objects.get(enrolment_id=first_enrolment)))
    plan = {}
    for k, record in enumerate(sorted(by_person)):
        person = Person.objects.get(record_id=record)
        case = open_or_join_case(person, source="cycle", actor="test", reason="test", findings=by_person[record])
        outcome = outcome_of(k)
        plan[record] = k
        Case.objects.filter(pk=case.pk).update(opened_at=NOW - dt.timedelta(days=age_days(k)))
        if outcome in ("visited", "opened"):
            Case.objects.filter(pk=case.pk).update(state=outcome)
            continue
        decided = dt.datetime.combine(decided_month(k).replace(day=15), dt.time(12), tzinfo=dt.UTC)
        Case.objects.filter(pk=case.pk).update(state="decided", outcome=outcome, decided_at=decided)
        if outcome == "confirmed":
            for enrolment in Enrolment.objects.filter(household__household_id=household_of[record]):
                amount = enrolment.monthly_amount_iqd
                after = amount - share_taken_off(enrolment.enrolment_id, amount)
                EnrolmentChange.objects.create(case=case, enrolment=enrolment, status_before="active",
                                               status_after="active" if after else "stopped",
                                               amount_before_iqd=amount, amount_after_iqd=after,
                                               on=decided_month(k).replace(day=15))
            due, recovered, written_off = recovery_plan(k)
            recovery = Recovery.objects.create(case=case, amount_due_iqd=due, computed_from=dt.date(2025, 1, 1),
                                               computed_until=dt.date(2026, 1, 1))
            RecoveryEntry.objects.create(recovery=recovery, kind=EntryKind.DEDUCTION, amount_iqd=5_000,
                                         on=dt.date(2026, 3, 1))
            if recovered > 5_000:
                RecoveryEntry.objects.create(recovery=recovery, kind=EntryKind.PAYMENT, amount_iqd=recovered - 5_000,
                                             on=dt.date(2026, 3, 2))
            if written_off:
                RecoveryEntry.objects.create(recovery=recovery, kind=EntryKind.WRITE_OFF, amount_iqd=written_off,
                                             on=dt.date(2026, 4, 1))
    return {"truth": truth, "plan": plan, "cycle": cycle, "enrolments": enrolments, "household_of": household_of,
            "governorate_raw": governorate_raw, "rules": rules}


def outcome(built, record: str) -> str:
    return outcome_of(built["plan"][record])


def test_findings_and_cases_by_rule_equal_the_truth(built):
    truth = built["truth"]
    table = figures.findings_by("rule")
    assert sum(r["findings"] for r in table.rows) == len(truth) == Finding.objects.count()
    for reason, n in Counter(row["reason"] for row in truth).items():
        rule = built["rules"][RULE_OF.get(reason, reason)]
        got = table.row_by(rule.name_ar)
        persons = {row["record"] for row in truth if row["reason"] == reason}
        assert got["findings"] == n and got["persons"] == len(persons) == got["cases"], reason
        assert got["confirmed"] == sum(outcome(built, p) == "confirmed" for p in persons), reason
        assert got["cleared"] == sum(outcome(built, p) == "cleared" for p in persons), reason


def test_findings_by_governorate_agency_and_programme_equal_the_truth(built):
    truth = built["truth"]

    def governorate(record):
        try:
            return identity.governorate(built["governorate_raw"][record])
        except identity.IdentityError:
            return "محافظة غير معروفة"

    expected = Counter(governorate(row["record"]) for row in truth)
    got = {r["label"]: r["findings"] for r in figures.findings_by("governorate").rows}
    assert got == dict(expected)
    expected = Counter(built["rules"][RULE_OF.get(row["reason"], row["reason"])].agency for row in truth)
    names = {a.code: a.name_ar for a in Agency.objects.all()}
    got = {r["label"]: r["findings"] for r in figures.findings_by("agency").rows}
    assert got == {names.get(code, "سجل الحماية نفسه"): n for code, n in expected.items()}
    programmes = {p.code: p.name_ar for p in Programme.objects.all()}
    expected = Counter(built["enrolments"][row["household_id"]][0][1] for row in truth)
    got = {r["label"]: (r["findings"], r["cases"]) for r in figures.findings_by("programme").rows}
    persons = defaultdict(set)
    for row in truth:
        persons[built["enrolments"][row["household_id"]][0][1]].add(row["record"])
    assert got == {f"{code} — {programmes[code]}": (n, len(persons[code])) for code, n in expected.items()}


def test_cases_by_state_and_age(built):
    plan = built["plan"]
    states = Counter("decided" if outcome_of(k) in ("confirmed", "cleared") else outcome_of(k) for k in plan.values())
    got = {r["state"]: r["cases"] for r in figures.cases_by_state().rows}
    for state in ("decided", "opened", "visited"):
        assert got[str(CaseState(state).label)] == states[state], state
    assert sum(got.values()) == len(plan)
    open_ages = [age_days(k) for k in plan.values() if outcome_of(k) in ("visited", "opened")]
    expected = [sum(0 <= a <= 30 for a in open_ages), sum(31 <= a <= 90 for a in open_ages),
                sum(91 <= a <= 180 for a in open_ages), sum(a > 180 for a in open_ages)]
    assert [r["cases"] for r in figures.cases_by_age(now=NOW).rows] == expected


def test_monthly_savings_and_recoveries(built):
    first_month, reduced_only = {}, 0
    for record, k in built["plan"].items():
        if outcome_of(k) != "confirmed":
            continue
        for enrolment, _programme, amount in built["enrolments"][built["household_of"][record]]:
            month = decided_month(k)
            if enrolment not in first_month or month < first_month[enrolment][0]:
                first_month[enrolment] = (month, share_taken_off(enrolment, amount))
                reduced_only += share_taken_off(enrolment, amount) < amount
    assert reduced_only  # an enrolment that still draws, less a share: saves the share, not its whole amount
    per_month = defaultdict(int)
    for month, amount in first_month.values():
        per_month[month.strftime("%Y-%m")] += amount
    table = figures.monthly_savings()
    assert {r["month"]: r["saved"] for r in table.rows} == dict(per_month)
    assert table.rows[-1]["running"] == sum(per_month.values()) == figures.headline()["monthly_saving"]
    confirmed = [k for k in built["plan"].values() if outcome_of(k) == "confirmed"]
    assert sum(r["confirmed"] for r in table.rows) == len(confirmed)
    due, recovered, written_off = (sum(recovery_plan(k)[i] for k in confirmed) for i in range(3))
    total = figures.recoveries().total
    assert (total["due"], total["recovered"], total["written_off"], total["outstanding"]) == (
        due, recovered, written_off, due - recovered - written_off)


def test_false_positive_rate_per_rule(built):
    table = figures.false_positives()
    for reason in {row["reason"] for row in built["truth"]}:
        persons = {row["record"] for row in built["truth"] if row["reason"] == reason}
        cleared = sum(outcome(built, p) == "cleared" for p in persons)
        decided = cleared + sum(outcome(built, p) == "confirmed" for p in persons)
        row = table.row_by(built["rules"][RULE_OF.get(reason, reason)].name_ar)
        if decided == 0:
            assert row is None
            continue
        assert (row["decided"], row["cleared"]) == (decided, cleared)
        assert row["rate"] == round(100 * cleared / decided, 1)


def test_the_cycle_report_counts_each_announced_line(built):
    table = cycle_report(built["cycle"])
    for label, reasons in ANNOUNCED.items():
        persons = {row["record"] for row in built["truth"] if row["reason"] in reasons}
        got = table.row_by(label)
        assert got["found"] == len(persons), label
        assert got["confirmed"] == sum(outcome(built, p) == "confirmed" for p in persons), label
        assert got["found"] == got["confirmed"] + got["cleared"] + got["awaiting"]
    assert table.total["found"] == len({row["record"] for row in built["truth"]})


def test_exports_open_and_carry_arabic_and_are_audited(built):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    analyst = make_user(Role.ANALYST)
    client = Client()
    client.force_login(analyst)
    page = client.get("/reports/").content.decode()
    marriage = built["rules"]["marriage_contract"].name_ar
    assert "<svg" in page and f">{marriage}</text>" in page  # the chart's label is Arabic text, not a picture

    response = client.get("/reports/?format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["findings_by_rule"]
    assert sheet.sheet_view.rightToLeft and sheet["A1"].value == "المخالفات والقضايا حسب القاعدة"
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows[marriage] == sum(1 for row in built["truth"] if row["reason"] == "remarried")

    response = client.get(f"/reports/cycles/{built['cycle'].code}/?format=pdf")
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for words in ("عقود زواج", "وفيات", "المستفيدون المشمولون"):
        assert words in text, words
    assert built["cycle"].code in text  # 2026-06 left to right, not split at its hyphen into 06-2026
    dashboard_pdf = client.get("/reports/?format=pdf")
    assert PdfReader(io.BytesIO(dashboard_pdf.content)).pages
    exports = AuditEntry.objects.filter(action="export", actor=analyst.username)
    assert sorted(e.details_dict["format"] for e in exports) == ["pdf", "pdf", "xlsx"]


def test_reports_are_for_the_ministry_only(built):
    for role in (Role.CASEWORKER, Role.FIELD_RESEARCHER, Role.HOTLINE_OPERATOR, Role.TIP_OFFICER,
                 Role.AGENCY_DATA_OFFICER):
        client = Client()
        client.force_login(make_user(role, governorates=["بغداد"] if role == Role.CASEWORKER else ()))
        assert client.get("/reports/?format=xlsx").status_code == 403, role
    assert not AuditEntry.objects.filter(action="export").exists()  # refused before anything was built


def test_the_command_line_exports_a_cycle_report(built, tmp_path):
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from sijill.cli import app

    out = tmp_path / "cycle.xlsx"
    result = CliRunner().invoke(app, ["reports", "export", str(out), "--cycle", built["cycle"].code])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["cycle"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["وفيات"] == len({row["record"] for row in built["truth"] if row["reason"] == "deceased"})
    assert AuditEntry.objects.filter(action="export", actor__startswith="cli:").exists()


def test_totals_count_each_beneficiary_and_case_once(built):
    truth = built["truth"]
    persons = {row["record"] for row in truth}
    agencies = defaultdict(set)
    for row in truth:
        agencies[row["record"]].add(built["rules"][RULE_OF.get(row["reason"], row["reason"])].agency)
    assert any(len(a) > 1 for a in agencies.values())  # someone found by two agencies: summing rows counts twice
    for dimension in ("agency", "programme", "governorate"):
        total = figures.findings_by(dimension).total
        assert (total["findings"], total["persons"], total["cases"]) == (len(truth), len(persons), len(persons))
        assert total["confirmed"] == sum(outcome(built, p) == "confirmed" for p in persons), dimension
        assert total["cleared"] == sum(outcome(built, p) == "cleared" for p in persons), dimension
