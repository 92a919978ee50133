"""Damaan end to end through its pages: an establishment registered online, sent back for correction and approved;
workers registered (a second record of one person flagged, never merged); a month declared by form and by file
(bad rows named, a correction superseding), paid; the clearance certificate refused, issued, verified by anyone,
revoked by later arrears; voluntary retirement paid online; and who may see what."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from conftest import make_user
from django.test import Client

from sijill.accounts.roles import Role
from sijill.audit.models import AuditEntry
from sijill.damaan import certificates, declarations, registration
from sijill.damaan import contributions as c
from sijill.damaan.models import (
    Assessment,
    Certificate,
    Declaration,
    DuplicateFlag,
    Establishment,
    Insured,
    RateTable,
    Subscription,
    VoluntaryDue,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
LAST_MONTH = c.add_months(c.month_start(TODAY), -1)
PASSWORD = "Damaan-test-pass-2026"
ESTABLISHMENT = {"e-name": "مخبز الرافدين", "e-employer": "حيدر كاظم جواد", "e-sector": "private",
                 "e-activity": "مخبز", "e-governorate": "بغداد", "e-address": "الكرادة، شارع ٦٢",
                 "e-registration_no": "١٢٣٤٥/ب"}
WORKERS = [
    {"national_id": "١٩٨٥٠٣٢١٤٥٦٧", "given": "علي", "father": "حسين", "grandfather": "كاظم", "surname": "الساعدي",
     "mother": "زينب علي", "birth_date": "١٩٨٥-٠٣-٢١", "sex": "M", "governorate": "بغداد"},
    {"national_id": "199002114321", "given": "مريم", "father": "عباس", "grandfather": "جاسم", "surname": "الربيعي",
     "mother": "فاطمة حسن", "birth_date": "1990-02-11", "sex": "F", "governorate": "بغداد"},
]


def plain(text: str) -> str:
    """A page with thousands separators removed (Arabic pages group digits differently from English ones)."""
    return re.sub(r"(?<=\d)[,٬](?=\d{3})", "", text)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def join_employer(username="rep", **extra) -> tuple[Client, Establishment]:
    client = Client()
    response = client.post("/damaan/join/employer/", {**ESTABLISHMENT, **extra, "a-username": username,
                                                     "a-password": PASSWORD, "a-password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:3000]
    return client, Establishment.objects.get(representatives__username=username)


def approved(username="rep", **extra) -> tuple[Client, Establishment]:
    client, est = join_employer(username, **extra)
    registration.decide_establishment(make_user(Role.DAMAAN_OFFICER, f"officer-{username}"), est, True, "")
    return client, est


def hire(client, est, worker, wage="500000", allowances="0", start=None):
    response = client.post(f"/damaan/e/{est.number}/hire/", {
        **worker, "start": (start or c.add_months(LAST_MONTH, -3)).isoformat(), "wage": wage,
        "allowances": allowances, "profession": "خباز"})
    assert response.status_code == 302, response.content.decode()[:3000]


def declare(client, est, month, wages: dict[str, int]):
    spells = {s.insured.national_id: s for s in declarations.workers_of(est, month)}
    data = {f"wage-{spells[nid].pk}": str(w) for nid, w in wages.items()}
    data.update({f"allow-{spells[nid].pk}": "0" for nid in wages})
    response = client.post(f"/damaan/e/{est.number}/declare/{month:%Y-%m}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_registration_correction_and_approval_with_reasons_the_employer_reads():
    client, est = join_employer()
    assert est.state == "pending" and est.registration_no == "12345/ب"  # Arabic-Indic digits folded
    officer = login(make_user(Role.DAMAAN_OFFICER))
    page = officer.get("/damaan/staff/").content.decode()
    assert "مخبز الرافدين" in page
    assert officer.post(f"/damaan/staff/e/{est.number}/decide/", {"approve": "0", "note": ""}).status_code == 200
    officer.post(f"/damaan/staff/e/{est.number}/decide/", {"approve": "0", "note": "أرفقوا رقم الإجازة الصحيح"})
    est.refresh_from_db()
    assert est.state == "correction"
    assert "أرفقوا رقم الإجازة الصحيح" in client.get(f"/damaan/e/{est.number}/").content.decode()
    assert client.get(f"/damaan/e/{est.number}/hire/").status_code == 200  # the page; hiring itself is refused
    response = client.post(f"/damaan/e/{est.number}/correct/", {
        k.removeprefix("e-"): v for k, v in {**ESTABLISHMENT, "e-registration_no": "12346/ب"}.items()})
    assert response.status_code == 302
    est.refresh_from_db()
    assert (est.state, est.registration_no) == ("pending", "12346/ب")
    officer.post(f"/damaan/staff/e/{est.number}/decide/", {"approve": "1", "note": ""})
    est.refresh_from_db()
    assert est.state == "approved"


def test_a_worker_twice_is_flagged_not_merged():
    client, est = approved()
    hire(client, est, WORKERS[0])
    _, other = approved("rep2", **{"e-name": "ورشة النور", "e-registration_no": "777"})
    other_client = Client()
    other_client.force_login(other.representatives.get())
    hire(other_client, other, {**WORKERS[0], "national_id": "198503214567"})  # the same person, same ID: one record
    assert Insured.objects.count() == 1
    hire(other_client, other, {**WORKERS[0], "national_id": "198503219999"})  # same chain and birth, other ID
    assert Insured.objects.count() == 2
    flag = DuplicateFlag.objects.get()
    assert "other national ID" in flag.reason and not flag.resolved
    page = login(make_user(Role.DAMAAN_OFFICER)).get("/damaan/staff/duplicates/").content.decode()
    assert "198503219999" in page and "198503214567" in page


def test_bad_identity_details_are_named():
    client, est = approved()
    response = client.post(f"/damaan/e/{est.number}/hire/", {
        **WORKERS[0], "national_id": "12345", "start": LAST_MONTH.isoformat(), "wage": "400000"})
    assert response.status_code == 200 and "12 digits" in response.content.decode()


def test_declaration_by_form_then_a_corrected_file_supersedes_it(tmp_path):
    client, est = approved()
    hire(client, est, WORKERS[0])
    hire(client, est, WORKERS[1])
    declare(client, est, LAST_MONTH, {"198503214567": 500_000, "199002114321": 2_000_000})
    first = Declaration.objects.get()
    assert first.assessments.get().total == (25_000 + 60_000) + (87_500 + 210_000)  # the second at the ceiling

    bad = tmp_path / "bad.csv"
    bad.write_text("رقم البطاقة الوطنية,الأجر,المخصصات\n198503214567,٦٠٠٬٠٠٠,0\n199002114321,كثير,0\n"
                   "111111111111,500000,0\n200001010001,500000,0\n", encoding="utf-8")
    with open(bad, "rb") as f:
        response = client.post(f"/damaan/e/{est.number}/upload/", {"month": f"{LAST_MONTH:%Y-%m}", "file": f})
    page = response.content.decode()
    assert response.status_code == 200 and Declaration.objects.count() == 1, "nothing saved while a row is bad"
    for row, why in (("3", "not a whole number"), ("4", "placeholder"), ("5", "no employment spell")):
        assert f"<td data-label=\"الصف\">{row}</td>" in page or f">{row}</td>" in page
        assert why in page

    good = tmp_path / "good.csv"
    good.write_text("رقم البطاقة الوطنية,الأجر,المخصصات\n198503214567,600000,100000\n199002114321,2000000,0\n",
                    encoding="utf-8")
    with open(good, "rb") as f:
        assert client.post(f"/damaan/e/{est.number}/upload/", {"month": f"{LAST_MONTH:%Y-%m}",
                                                              "file": f}).status_code == 302
    first.refresh_from_db()
    second = Declaration.objects.get(current=True)
    assert (first.current, second.revision, second.supersedes_id) == (False, 2, first.pk)
    assert first.lines.count() == 2, "the superseded declaration is kept as it was"
    assert second.assessments.get().total == (35_000 + 84_000) + (87_500 + 210_000)

    import openpyxl  # the accountant's spreadsheet, as Excel saves it: numbers as numbers

    book = openpyxl.Workbook()
    book.active.append(["national_id", "wage", "allowances"])
    book.active.append([198503214567, 700000, None])
    book.active.append(["199002114321", 1000000.0, 50000])
    book.save(tmp_path / "third.xlsx")
    with open(tmp_path / "third.xlsx", "rb") as f:
        assert client.post(f"/damaan/e/{est.number}/upload/", {"month": f"{LAST_MONTH:%Y-%m}",
                                                              "file": f}).status_code == 302
    third = Declaration.objects.get(current=True)
    assert (third.revision, third.supersedes_id, third.source) == (3, second.pk, "upload")
    assert third.assessments.get().total == (35_000 + 84_000) + (52_500 + 126_000)


def test_the_certificate_life_cycle(tmp_path):
    client, est = approved()
    hire(client, est, WORKERS[0], start=c.add_months(LAST_MONTH, -3))
    older = c.add_months(LAST_MONTH, -2)  # due at the end of last month: in arrears today
    declare(client, est, older, {"198503214567": 500_000})
    response = client.post(f"/damaan/e/{est.number}/certificate/")
    assert response.status_code == 409 and "85000" in plain(response.content.decode())
    assert f"{older:%Y-%m}" in response.content.decode()
    assert client.post(f"/damaan/e/{est.number}/pay/", {"month": f"{older:%Y-%m}", "amount": "85000",
                                                         "reference": "EP-2026-0001",
                                                         "paid_on": TODAY.isoformat()}).status_code == 302
    response = client.post(f"/damaan/e/{est.number}/certificate/")
    cert = Certificate.objects.get()
    assert response.status_code == 302 and cert.valid_until == TODAY + dt.timedelta(days=29)
    assert len(cert.number) == 14 and cert.number[4] == "-"
    pdf = client.get(f"/damaan/certificate/{cert.number}/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert cert.number in text and f"/damaan/verify/{cert.number}/" in text

    anyone = Client()
    page = anyone.get(f"/damaan/verify/{cert.number}/").content.decode()
    assert "صالحة" in page and "مخبز الرافدين" in page
    for secret in ("علي", "500000", "85000", "198503214567", est.number, "خباز"):
        assert secret not in plain(page.split("<main>")[1]), f"the public page reveals {secret}"
    assert "صالحة" in anyone.post("/damaan/verify/", {"number": cert.number.lower().replace("-", " ")}).content.decode()

    # A correction of a month inside the period adds dues that are past due: the certificate revokes itself.
    declare(client, est, older, {"198503214567": 900_000})
    cert.refresh_from_db()
    assert cert.revoked_on == TODAY and f"{older:%Y-%m}" in cert.revoked_reason
    assert "ملغاة" in anyone.get(f"/damaan/verify/{cert.number}/").content.decode()

    expired = Certificate.objects.create(number="AAAA-BBBB-CCCC", establishment=est, issued_on=TODAY.replace(year=2024),
                                         valid_until=TODAY.replace(year=2024) + dt.timedelta(days=29),
                                         conditions=cert.conditions)
    assert "منتهية" in anyone.get(f"/damaan/verify/{expired.number}/").content.decode()


def test_verification_is_throttled_against_guessing():
    anyone = Client()
    for _ in range(certificates.VERIFY_MISSES):
        assert "لا توجد شهادة" in anyone.post("/damaan/verify/", {"number": "2345-6789-ABCD"}).content.decode()
    assert anyone.post("/damaan/verify/", {"number": "2345-6789-ABCE"}).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.9").post("/damaan/verify/", {"number": "2345-6789-ABCE"}).status_code == 200


def test_recomputation_is_explicit_shows_the_difference_and_keeps_the_past():
    client, est = approved()
    hire(client, est, WORKERS[0])
    declare(client, est, LAST_MONTH, {"198503214567": 380_000})
    declaration = Declaration.objects.get()
    shipped = RateTable.objects.get()
    newer = RateTable.objects.create(**{f.name: getattr(shipped, f.name) for f in RateTable._meta.fields
                                        if f.name != "id"} | {"version": "test-next", "valid_from": TODAY,
                                                              "minimum_wage": 400_000, "employer_bp": 1300})
    assert declaration.assessments.get().table == shipped, "a new table does not rewrite a past month"
    officer = login(make_user(Role.DAMAAN_OFFICER))
    page = plain(officer.get(f"/damaan/staff/declaration/{declaration.pk}/recompute/",
                             {"table": "test-next", "reason": "تعديل الحد الأدنى"}).content.decode())
    shown = re.search(r'<dl class="facts" id="difference">.*?</dl>', page, re.S)[0]
    # 19,000 + 45,600 under the shipped table; 20,000 + 52,000 under the new floor and employer rate
    assert re.findall(r"<dd>(\d+)", shown) == ["64600", "72000", "7400"]
    officer.post(f"/damaan/staff/declaration/{declaration.pk}/recompute/",
                 {"table": "test-next", "reason": "تعديل الحد الأدنى", "confirm": "1"})
    history = list(declaration.assessments.order_by("pk"))
    assert [(a.table.version, a.total, a.current) for a in history] == [
        ("law18-2023", 64_600, False), ("test-next", 72_000, True)]
    assert newer.assessments.count() == 1
    assert AuditEntry.objects.filter(action="decision", details__contains='"change":7400').exists()


def test_voluntary_retirement_paid_online_with_arrears_caught_up_and_a_category_change():
    client = Client()
    start = c.add_months(c.month_start(TODAY), -2)
    from sijill.damaan.models import VoluntaryCategory

    cat3 = VoluntaryCategory.objects.get(number=3)
    response = client.post("/damaan/join/voluntary/", {
        **{f"p-{k}": v for k, v in WORKERS[1].items()}, "p-occupation": "حلاقة", "p-category": str(cat3.pk),
        "p-start": f"{start:%Y-%m}", "a-username": "barber", "a-password": PASSWORD, "a-password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:3000]
    sub = Subscription.objects.get()
    page = client.get("/damaan/me/").content.decode()
    assert "3 أشهر للدفع" in page and plain(page).count("(27500)") == 3
    client.post("/damaan/me/pay/", {"months": "٢", "reference": "ep 77-1"})
    dues = list(VoluntaryDue.objects.filter(subscription=sub).order_by("month"))
    assert [(d.month, d.amount, d.paid_id is not None) for d in dues] == [
        (start, 27_500, True), (c.add_months(start, 1), 27_500, True), (c.add_months(start, 2), 27_500, False)]
    assert dues[0].paid.amount == 55_000 and dues[0].paid.reference == "EP77-1"

    cat10 = VoluntaryCategory.objects.get(number=10)
    client.post("/damaan/me/category/", {"category": str(cat10.pk)})
    officer = login(make_user(Role.DAMAAN_OFFICER))
    req = sub.requests.get()
    officer.post(f"/damaan/staff/requests/{req.pk}/decide/", {"approve": "1"})
    from sijill.damaan.voluntary import category_in, write_dues

    assert category_in(sub, c.add_months(c.month_start(TODAY), 1)).monthly_iqd == 62_500
    write_dues(c.add_months(c.month_start(TODAY), 1), subscription=sub)
    assert VoluntaryDue.objects.get(subscription=sub, month=c.add_months(c.month_start(TODAY), 1)).amount == 62_500
    assert VoluntaryDue.objects.get(subscription=sub, month=start).amount == 27_500, "past months keep their amount"

    from sijill.damaan.service_record import estimate

    e = estimate(sub.insured)
    assert (e.paid_months, e.needed_months, e.needed_age, e.eligible) == (2, 180, 63, False)


def test_an_employer_sees_only_their_establishments_and_a_worker_only_their_record():
    client, est = approved()
    hire(client, est, WORKERS[0])
    stranger, _ = approved("rep2", **{"e-name": "ورشة النور", "e-registration_no": "777"})
    for path in (f"/damaan/e/{est.number}/", f"/damaan/e/{est.number}/hire/", f"/damaan/e/{est.number}/pay/"):
        assert stranger.get(path).status_code == 403, path
    assert AuditEntry.objects.filter(action="denied", details__contains=est.number).exists()

    worker = Client()
    assert worker.post("/damaan/join/worker/", {
        **{f"p-{k}": v for k, v in WORKERS[0].items()}, "a-username": "ali", "a-password": PASSWORD,
        "a-password2": PASSWORD}).status_code == 302
    person = Insured.objects.get(national_id="198503214567")
    assert person.user.username == "ali", "the account is tied to the record the employer registered"
    assert "مخبز الرافدين" in worker.get("/damaan/me/").content.decode()
    for path in (f"/damaan/e/{est.number}/", f"/damaan/staff/insured/{person.number}/", "/damaan/staff/"):
        assert worker.get(path).status_code == 403, path
    # Another person cannot take this record over.
    response = Client().post("/damaan/join/worker/", {
        **{f"p-{k}": v for k, v in WORKERS[0].items()}, "a-username": "impostor", "a-password": PASSWORD,
        "a-password2": PASSWORD})
    assert response.status_code == 200 and Insured.objects.get(pk=person.pk).user.username == "ali"
    assert not Insured.objects.filter(user__username="impostor").exists()

    officer = login(make_user(Role.DAMAAN_OFFICER))
    assert officer.get(f"/damaan/staff/insured/{person.number}/").status_code == 200
    assert AuditEntry.objects.filter(action="view_person", target_id=person.number, actor="damaan_officer").exists()


def test_the_monthly_run_assesses_loaded_declarations_and_the_extract_feeds_the_cycles(tmp_path):
    from sijill.damaan import holder, legacy, monthly
    from sijill.tabular import read_csv

    schedule = tmp_path / "schedule.csv"
    schedule.write_text(
        "رقم السجل,الاسم الرباعي,اسم الام,تاريخ الميلاد,رقم البطاقة الوطنية,المحافظة,الجنس,صاحب العمل,رقم الضمان,"
        "الأجر الشهري,تاريخ الشمول\n"
        "1,علي حسين كاظم الساعدي,زينب علي,1985-03-21,198503214567,بغداد,ذكر,شركة الرواد,5001,900000,2019-01-05\n"
        "2,مريم عباس جاسم,فاطمة,11/2/1990,199002114321,البصرة,أنثى,شركة الرواد,5002,300000,2020-05-01\n"
        "3,حسن,سعاد,1970-01-01,123,بغداد,ذكر,شركة النفط,5003,1000000,2015-01-01\n"
        "4,كريم جواد كاظم,هدى,1979-06-30,,ذي قار,ذكر,شركة الرواد,5004,500000,2012-02-01\n"
        "5,سعد جواد,هدى,1979-06-31,,ذي قار,ذكر,شركة الرواد,5005,500000,2012-02-01\n", encoding="utf-8")
    loaded = legacy.load_schedule(schedule, LAST_MONTH)
    assert (loaded.rows, loaded.workers, loaded.without_id, loaded.establishments, loaded.declarations) == (
        5, 3, 1, 1, 1)
    assert [(p[0], p[1]) for p in loaded.problems] == [(4, "الاسم الرباعي"), (6, "تاريخ الميلاد")]
    again = legacy.load_schedule(schedule, LAST_MONTH)
    assert (again.workers, again.establishments, again.declarations) == (0, 0, 0), "loading again adds nothing"

    result = monthly.run_month(LAST_MONTH)
    assert (result.declarations_assessed, result.lines_assessed) == (1, 3)
    assert Assessment.objects.get().total == (45_000 + 108_000) + (17_500 + 42_000) + (25_000 + 60_000)
    assert monthly.run_month(LAST_MONTH).declarations_assessed == 0

    out = tmp_path / "insured.csv"
    assert holder.write_extract(out) == 3
    header, rows, _ = read_csv(out)
    rows = {r["رقم البطاقة الوطنية"]: r for r in rows}
    assert header == holder.HEADER
    assert rows["198503214567"]["الأجر الشهري"] == "900000" and rows["198503214567"]["صاحب العمل"] == "شركة الرواد"
    from sijill.pprl.format.schema import example_schemas, load_schema

    schema = load_schema(example_schemas()[holder.AGENCY])
    schema.check_header(header, "the Damaan extract")  # raises naming any column the insured schema lacks


# page -> who may open it; "rep" represents the establishment, "other" is another employer's representative
MATRIX = {
    "/damaan/staff/": {"officer"},
    "/damaan/staff/duplicates/": {"officer"},
    "/damaan/staff/insured/": {"officer"},
    "/damaan/tables/": {"officer", "admin", "auditor"},
    "/damaan/employer/": {"rep", "other"},
    "/damaan/e/{est}/": {"officer", "rep"},
    "/damaan/e/{est}/pay/": {"officer", "rep"},
    "/damaan/e/{est}/hire/": {"rep"},
    "/damaan/e/{est}/upload/": {"rep"},
}
ROLES = {"officer": Role.DAMAAN_OFFICER, "rep": Role.EMPLOYER, "other": Role.EMPLOYER, "worker": Role.INSURED_WORKER,
         "analyst": Role.ANALYST, "auditor": Role.AUDITOR, "admin": Role.ADMINISTRATOR}


def test_who_opens_which_damaan_page():
    _, est = approved()
    got, expected = {}, {}
    for who, role in ROLES.items():
        user = est.representatives.get() if who == "rep" else make_user(role, f"m-{who}")
        client = login(user)
        for page, allowed in MATRIX.items():
            got[who, page] = client.get(page.format(est=est.number)).status_code
            expected[who, page] = 200 if who in allowed else 403
    assert got == expected
    for page in ("/damaan/", "/damaan/verify/", "/damaan/join/voluntary/", "/damaan/join/employer/"):
        assert Client().get(page).status_code == 200, "public pages need no login"
    assert Client().get("/damaan/staff/").status_code == 302


def test_the_monthly_runs_sql_assessment_agrees_with_the_accountants_arithmetic():
    """The run assesses in one grouped query; its figures must be those of contributions.line, line by line."""
    import csv

    from conftest import DATA

    from sijill.damaan.declarations import assess_month
    from sijill.damaan.models import DeclarationLine, Employment
    from sijill.damaan.tables import table_for

    with open(DATA / "damaan_contributions.csv", encoding="utf-8") as f:
        cases = [r for r in csv.DictReader(line for line in f if not line.startswith("#")) if r["month"] == "2024-05"]
    month, table = dt.date(2024, 5, 1), table_for(dt.date(2024, 5, 1))
    expected = {}
    for i, case in enumerate(cases):
        est = Establishment.objects.create(number=f"E{i}", name=case["case"], employer="—", sector=case["sector"],
                                           activity="—", governorate="بغداد", address="—", registration_no=f"R{i}",
                                           state="approved")
        person = Insured.objects.create(number=f"{i}", national_id=f"{100000000000 + i}", given="علي", father="حسن",
                                        grandfather="كاظم", mother="زينب", birth_date=dt.date(1980, 1, 1),
                                        governorate="بغداد", name_key=f"k{i}")
        Employment.objects.create(insured=person, establishment=est, start=dt.date(2020, 1, 1), wage=1)
        declaration = Declaration.objects.create(establishment=est, month=month)
        DeclarationLine.objects.create(declaration=declaration, insured=person, wage=int(case["wage"]),
                                       allowances=int(case["allowances"]))
        line = c.line(int(case["wage"]), int(case["allowances"]), case["sector"], table.rates())
        expected[declaration.pk] = (line.base, line.worker, line.employer)
    assert assess_month(month, table) == (len(cases), len(cases))
    got = {a.declaration_id: (a.base, a.worker, a.employer) for a in Assessment.objects.filter(table=table)}
    assert got == expected
    assert assess_month(month, table) == (0, 0), "an assessed declaration is not assessed twice"
