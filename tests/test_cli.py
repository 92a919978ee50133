"""The `sijill` command, driven in-process as a data officer would use it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

from typer.testing import CliRunner

from sijill import __version__
from sijill.cli import app

runner = CliRunner()


def _write(path, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)


def _read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output and "identity" in result.output


def test_normalize_reads_windows_1256_and_reports_bad_rows(tmp_path):
    src, dst = tmp_path / "partner.csv", tmp_path / "out.csv"
    _write(src, [
        ["record_id", "الاسم الرباعي", "تاريخ الميلاد", "الرقم الوطني", "المحافظة", "الجنس", "note"],
        ["1", "مُحَمَّد عبد الكريم جاسم", "02/03/1985", "1985 0302 1234", "الناصرية", "ذكر", "keep me"],
        ["2", "زينب علي حسين", "31/02/1990", "12345", "Basra", "أنثى", ""],
    ], encoding="cp1256")
    result = runner.invoke(app, ["normalize", str(src), "--out", str(dst)])
    assert result.exit_code == 0, result.output
    assert "cp1256" in result.output
    rows = _read(dst)
    assert rows[0]["الاسم الرباعي"] == "محمد عبدالكريم جاسم"
    assert rows[0]["تاريخ الميلاد"] == "1985-03-02"
    assert rows[0]["الرقم الوطني"] == "198503021234"
    assert rows[0]["المحافظة"] == "ذي قار" and rows[0]["الجنس"] == "M"
    assert rows[0]["note"] == "keep me"
    assert rows[1]["الاسم الرباعي"] == "زينب علي حسين", "the good fields of a bad row are kept"
    errors = _read(tmp_path / "out.errors.csv")
    assert {(e["row"], e["field"], e["value"]) for e in errors} == {
        ("3", "تاريخ الميلاد", "31/02/1990"), ("3", "الرقم الوطني", "12345")}
    assert all(e["reason"] and e["file"].endswith("partner.csv") for e in errors)


def test_normalize_field_override_for_unknown_headers(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(src, [["x", "y"], ["أحمد", "١٩٧٠"]])
    result = runner.invoke(app, ["normalize", str(src), "-o", str(dst), "-f", "x=name", "--field", "y=date"])
    assert result.exit_code == 0, result.output
    assert _read(dst) == [{"x": "احمد", "y": "1970"}]


def test_normalize_refuses_an_unknown_column_clearly(tmp_path):
    src = tmp_path / "in.csv"
    _write(src, [["x"], ["a"]])
    result = runner.invoke(app, ["normalize", str(src), "-o", str(tmp_path / "o.csv"), "-f", "nope=name"])
    assert result.exit_code == 1
    assert "nope" in result.output and "not in the file" in result.output


def test_demo_runs_the_whole_story_without_serving(tmp_path):
    """`make demo` in a process of its own, as a user runs it (Django is set up there, not here)."""
    env = {**os.environ, "COLUMNS": "200", "SIJILL_DATA_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # tests/web/conftest.py sets its test settings, importable only here
    result = subprocess.run([sys.executable, "-c", "from sijill.cli import app; app()", "demo", "--workdir",
                             str(tmp_path), "--no-serve"], capture_output=True, text=True, env=env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (tmp_path / "world" / "manifest.json").exists()
    assert (tmp_path / "sample_people.normalized.csv").exists()
    assert "محمد" in output and "→" in output
    assert "courts" in output and "✓" in output, "registry and court records of one person meet"
    assert output.count("accepted, sha256") == 11, "the registry and the ten agencies uploaded their packages"
    assert "Hits of cycle" in output and "الرقم الوطني مطابق" in output, "hits per agency and class, explained"
    assert "auditor" in output and "members" in output, "demo users and the imported registry"
    assert (tmp_path / "var" / "sijill.sqlite3").exists() and (tmp_path / "var" / "keys" / "registry").is_dir()
    assert not list((tmp_path / "var").rglob("*.map.csv.tmp")) and not list((tmp_path / "var").glob("runs/*/.run-*"))
