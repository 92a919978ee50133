"""`sijill import registry`: every value through sijill.identity, a report row by row, no duplicates on
re-import; on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import DATA
from django.db import connections
from typer.testing import CliRunner

from sijill.cli import app
from sijill.registry.importing import service
from sijill.registry.importing.service import import_file
from sijill.registry.models import Enrolment, Household, ImportIssue, Membership, Payment, Person, Programme

pytestmark = pytest.mark.django_db(databases="__all__")

# What a data officer should read in the report for tests/web/data/members.csv.
MEMBER_PROBLEMS = [
    # row, field, value, reason (start), action
    (7, "national_id", "12345", "national ID must have 12 digits", "value left empty"),
    (8, "given/full_name", "", "one of these is required", "row rejected"),
    (9, "record_id", "", "required value is empty", "row rejected"),
    (10, "birth_date", "31/02/2001", "no such day", "value left empty"),
    (11, "governorate", "Atlantis", "not a known governorate", "value left empty"),
    (12, "record_id", "REG-1", "the same key is on row 2 of this file", "row rejected"),
    (13, "relation", "جار", "not a known relation", "value left empty"),
]


def _problems(result):
    return sorted((i.row, i.field, i.value, i.reason, "row rejected" if i.rejected else "value left empty")
                  for i in result.issues)


def test_members_csv_is_read_through_identity(backend):
    result = import_file(DATA / "members.csv", "members")
    assert (result.rows_read, result.created, result.updated, result.rejected) == (12, 9, 0, 3)
    assert result.values_dropped == 4
    got = _problems(result)
    assert [(r, f, v, a) for r, f, v, _, a in got] == [(r, f, v, a) for r, f, v, _, a in MEMBER_PROBLEMS]
    for (_, _, _, reason, _), (_, _, _, expected, _) in zip(got, MEMBER_PROBLEMS, strict=True):
        assert reason.startswith(expected)
    head = Person.objects.get(record_id="REG-1")
    assert (head.given, head.given_key, head.surname_key) == ("مُحَمَّد", "محمد", "جبوري")
    assert (str(head.birth_date), head.birth_precision, head.national_id) == ("1985-03-02", "day", "198503021234")
    assert head.membership.relation == "head" and head.membership.household.household_id == "HH-1"
    wife = Person.objects.get(record_id="REG-2")
    assert wife.national_id == "199007154321" and wife.sex == "F"  # Arabic-Indic digits read
    son = Person.objects.get(record_id="REG-3")
    assert (son.birth_date, son.birth_precision, son.birth_year) == (None, "year", 2012)
    daughter = Person.objects.get(record_id="REG-4")
    assert (str(daughter.birth_date), daughter.birth_precision) == ("2015-03-01", "month")
    assert daughter.governorate == "بغداد"  # written الكرخ
    assert daughter.national_id is None and daughter.disability is True
    elder = Person.objects.get(record_id="REG-5")
    assert elder.birth_precision == "year"  # 1 July: the civil registration default, trusted to the year
    assert elder.grandfather_key == "جاسم" and elder.father_key == "عبدالكريم"
    assert Person.objects.get(record_id="REG-8").governorate == "البصرة"  # "Basra"
    assert Person.objects.get(record_id="REG-10").membership.relation == "other"
    assert Household.objects.get(household_id="HH-2").governorate == "البصرة"  # from its head
    stored = ImportIssue.objects.filter(run_id=result.run_id).count()
    assert stored == len(MEMBER_PROBLEMS)


def test_reimport_creates_no_duplicates(backend):
    first = import_file(DATA / "members.csv", "members")
    counts = (Person.objects.count(), Household.objects.count(), Membership.objects.count())
    again = import_file(DATA / "members.csv", "members")
    assert (again.created, again.updated) == (0, first.created)
    assert (Person.objects.count(), Household.objects.count(), Membership.objects.count()) == counts


def test_a_changed_row_updates_the_record(backend, tmp_path):
    import_file(DATA / "members.csv", "members")
    changed = tmp_path / "members.csv"
    text = (DATA / "members.csv").read_text(encoding="utf-8").replace("REG-3,حسن,", "REG-3,حسين,")
    changed.write_text(text.replace("HH-1,ابن", "HH-3,ابن"), encoding="utf-8")
    import_file(changed, "members")
    son = Person.objects.get(record_id="REG-3")
    assert (son.given, son.given_key) == ("حسين", "حسين")
    assert son.membership.household.household_id == "HH-3"


def test_windows_1256_and_xlsx_read_like_utf8(backend, tmp_path):
    text = (DATA / "members.csv").read_text(encoding="utf-8")
    legacy = tmp_path / "members-1256.csv"
    # Windows-1256 has no Arabic-Indic digits and no harakat: a ministry's old system writes neither.
    legacy.write_bytes(text.replace("١٩٩٠٠٧١٥٤٣٢١", "199007154321").replace("مُحَمَّد", "محمد").encode("cp1256"))
    result = import_file(legacy, "members")
    assert (result.encoding, result.created, result.rejected) == ("cp1256", 9, 3)
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(text.splitlines()):
        sheet.append(row)
    sheet.append(["REG-11", "ليلى", "عمر", "خالد", "العبيدي", "هدى سالم", "2008-02-02", "200802026666", "نينوى",
                  "أنثى", "HH-3", "ابنة", "لا"])
    book.save(tmp_path / "members.xlsx")
    result = import_file(tmp_path / "members.xlsx", "members")
    assert (result.format, result.created, result.updated, result.rejected) == ("xlsx", 1, 9, 3)
    assert Person.objects.get(record_id="REG-11").given_key == "ليلي"


def test_households_enrolments_and_payments(backend):
    import_file(DATA / "members.csv", "members")
    households = import_file(DATA / "households.csv", "households")
    assert (households.created, households.updated) == (0, 3)
    hh2 = Household.objects.get(household_id="HH-2")
    assert (hh2.category, str(hh2.enrolled_on)) == ("كبار السن", "2018-09-15")
    enrolments = import_file(DATA / "enrolments.csv", "enrolments")
    assert (enrolments.created, enrolments.rejected) == (3, 2)
    assert {(i.row, i.field) for i in enrolments.issues} == {(4, "household_id"), (6, "monthly_amount_iqd")}
    assert Enrolment.objects.get(enrolment_id="ENR-1").monthly_amount_iqd == 275_000
    assert Enrolment.objects.get(enrolment_id="ENR-2").monthly_amount_iqd == 175_000  # Arabic-Indic digits
    stopped = Enrolment.objects.get(enrolment_id="ENR-4")
    assert (stopped.status, stopped.status_reason, str(stopped.end_date)) == ("stopped", "زواج المستفيدة",
                                                                              "2023-06-30")
    assert Programme.objects.count() == 2
    payments = import_file(DATA / "payments.csv", "payments")
    assert (payments.created, payments.rejected) == (4, 2)
    assert {(i.row, i.field) for i in payments.issues} == {(6, "enrolment_id"), (7, "month")}
    assert Payment.objects.filter(status="returned").count() == 1
    again = import_file(DATA / "payments.csv", "payments")
    assert (again.created, again.updated, Payment.objects.count()) == (0, 4, 4)


def test_a_file_without_the_schema_s_columns_is_refused_before_writing(backend, tmp_path):
    from sijill.registry.importing.schema import SchemaError

    with pytest.raises(SchemaError, match="record_id"):
        import_file(DATA / "households.csv", "members")
    assert Person.objects.count() == 0


def test_a_large_first_load_builds_the_search_indexes_at_the_end(backend, monkeypatch):
    monkeypatch.setattr(service, "BULK_LOAD_FROM_ROWS", 5)
    import_file(DATA / "members.csv", "members", batch_rows=4)
    connection = connections[backend]
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, Person._meta.db_table))
    assert {"person_name_keys", "person_name_skels", "person_national_id"} <= names
    assert Person.objects.count() == 9


def test_worker_processes_parse_like_this_one(backend):
    here = import_file(DATA / "members.csv", "members", batch_rows=3, workers=1)
    Person.objects.all().delete()
    there = import_file(DATA / "members.csv", "members", batch_rows=3, workers=2)
    assert _problems(there) == _problems(here)
    assert there.created == here.created == 9


def test_cli_import_writes_the_report(tmp_path):
    shutil.copy(DATA / "members.csv", tmp_path / "members.csv")
    result = CliRunner().invoke(app, ["import", "registry", str(tmp_path / "members.csv"), "--schema", "members"])
    assert result.exit_code == 0, result.output
    assert "7 problems" in result.output
    with open(tmp_path / "members.csv.errors.csv", encoding="utf-8-sig", newline="") as f:
        report = list(csv.DictReader(f))
    assert [r["row"] for r in report] == [str(p[0]) for p in MEMBER_PROBLEMS]
    assert set(report[0]) == {"file", "row", "field", "value", "reason", "action"}
    bad = CliRunner().invoke(app, ["import", "registry", str(tmp_path / "members.csv"), "--schema", "nonsense"])
    assert bad.exit_code == 1 and "unknown schema" in bad.output


def test_the_upload_page_imports_and_reports(tmp_path):
    from conftest import make_user
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from sijill.audit.models import AuditEntry

    client = Client()
    client.force_login(make_user("administrator", "admin"))
    upload = SimpleUploadedFile("أعضاء.csv", (DATA / "members.csv").read_bytes(), content_type="text/csv")
    response = client.post("/registry/import/", {"file": upload, "schema": "members"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Atlantis" in page and "REG-1" in page
    run = AuditEntry.objects.get(action="import")
    assert run.actor == "admin" and run.details_dict["created"] == 9 and run.details_dict["rejected"] == 3
    report = client.get(response["Location"] + "problems.csv")
    assert report.status_code == 200 and report.content.decode("utf-8-sig").count("\n") == 1 + len(MEMBER_PROBLEMS)
    assert AuditEntry.objects.filter(action="export", actor="admin").count() == 1
    wrong = client.post("/registry/import/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"), "schema": "members"})
    assert wrong.status_code == 200 and "record_id" in wrong.content.decode()


def test_a_synthetic_world_s_registry_imports_cleanly(tmp_path):
    from sijill.registry.services import import_registry_folder
    from sijill.synth import generate_world

    summary = generate_world(tmp_path / "world", persons=3000, seed=5)
    results = {r.schema: r for r in import_registry_folder(tmp_path / "world" / "registry")}
    rows = {Path(f.path).stem: f.rows for f in summary.files if f.kind == "registry" and f.agency == "registry"}
    assert set(results) == {"members", "households", "enrolments", "payments"}
    for schema, result in results.items():
        assert (result.rows_read, result.rejected) == (rows[schema], 0), (schema, result.issues[:3])
    # A person enrolled twice (truth/duplicates.csv) is two records until a reviewer says they are one.
    with open(tmp_path / "world" / "truth" / "duplicates.csv", encoding="utf-8") as f:
        twice = list(csv.DictReader(f))
    again = [d["duplicate_record_id"] for d in twice]
    assert twice and Person.objects.filter(record_id__in=again).count() == len(twice)
    assert Person.objects.count() == summary.beneficiaries + len(twice)
    assert Household.objects.count() == summary.beneficiary_households


def test_a_refused_file_is_in_the_trail_and_named_as_the_user_knows_it():
    from conftest import make_user
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from sijill.audit.models import AuditEntry

    client = Client()
    client.force_login(make_user("administrator", "admin"))
    page = client.post("/registry/import/", {"file": SimpleUploadedFile("أعضاء آذار.csv", b"a,b\n1,2\n"),
                                             "schema": "members"}).content.decode()
    assert "أعضاء آذار.csv" in page and "sijill-upload-" not in page and "/tmp" not in page
    entry = AuditEntry.objects.get(action="import_refused")
    assert entry.actor == "admin" and entry.details_dict["schema"] == "members"
    assert "record_id" in entry.details_dict["reason"] and "sijill-upload-" not in entry.details
    assert not AuditEntry.objects.filter(action="import").exists()
