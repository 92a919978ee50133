"""The files of a world: declared in the manifest, readable as declared, deterministic, and the truth
files agree with them."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sijill import identity
from sijill.cli import app
from sijill.synth import Mess, SynthConfig, generate_world
from sijill.synth.writers import read_table

PERSONS, SEED = 2000, 7  # as in conftest.py


def _read(world, info) -> list[dict]:
    return read_table(world["dir"] / info["path"], info["format"], info["encoding"]).to_pylist()


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _files(world, kind=None):
    return [f for f in world["manifest"]["files"] if kind is None or f["kind"] == kind]


def _digests(outdir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(outdir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(outdir.rglob("*"))
        if p.is_file()
    }


def test_manifest_lists_every_file_with_what_is_needed_to_read_it(world):
    listed = {f["path"] for f in world["manifest"]["files"]} | {"manifest.json"}
    on_disk = {str(p.relative_to(world["dir"])) for p in world["dir"].rglob("*") if p.is_file()}
    assert listed == on_disk
    agencies = {f["agency"] for f in _files(world, "extract")}
    assert agencies == {
        "courts",
        "deaths",
        "travel",
        "loans",
        "vehicles",
        "pensions",
        "payroll",
        "licences",
        "ration",
        "insured",
    }
    formats = {(f["format"], f["encoding"]) for f in _files(world)}
    assert {
        ("csv", "utf-8"),
        ("csv", "utf-8-sig"),
        ("csv", "cp1256"),
        ("xlsx", "utf-8"),
        ("parquet", "utf-8"),
    } <= formats
    assert world["manifest"]["persons"] == PERSONS and world["manifest"]["seed"] == SEED


@pytest.mark.parametrize("kind", ["extract", "registry", "truth"])
def test_files_read_back_in_their_declared_encoding_with_declared_rows_and_columns(world, kind):
    for info in _files(world, kind):
        rows = _read(world, info)
        assert len(rows) == info["rows"] > 0, info["path"]
        assert list(rows[0]) == [c["name"] for c in info["columns"]], info["path"]


def test_windows_1256_files_are_not_utf8_and_decode_to_the_same_arabic(world, tmp_path):
    cp1256 = [f for f in _files(world) if f["encoding"] == "cp1256"]
    assert cp1256
    for info in cp1256:
        with pytest.raises(UnicodeDecodeError):
            (world["dir"] / info["path"]).read_bytes().decode("utf-8")
    config = SynthConfig()
    agencies = {n: replace(s, encoding="utf-8") if s.encoding == "cp1256" else s for n, s in config.agencies.items()}
    generate_world(tmp_path, PERSONS, SEED, replace(config, agencies=agencies))
    for info in cp1256:
        utf8 = read_table(tmp_path / info["path"], "csv", "utf-8").to_pylist()
        assert _read(world, info) == utf8, info["path"]


def test_each_file_declares_the_role_of_its_identity_columns(world):
    for info in _files(world, "extract") + [f for f in _files(world, "registry") if f["path"].endswith("members.csv")]:
        roles = {c["role"] for c in info["columns"]}
        assert {"record_id", "birth_date", "national_id", "governorate", "sex", "mother"} <= roles, info["path"]
        assert {"given", "father", "grandfather", "surname"} <= roles or "full_name" in roles, info["path"]
        assert any(r.startswith("payload:") for r in roles), info["path"]


def test_same_seed_same_bytes_and_another_seed_other_bytes(world, tmp_path):
    again = generate_world(tmp_path / "again", PERSONS, SEED)
    assert _digests(again.outdir) == _digests(world["dir"])
    other = generate_world(tmp_path / "other", PERSONS, SEED + 1)
    assert _digests(other.outdir)["agencies/courts.csv"] != _digests(world["dir"])["agencies/courts.csv"]


def test_a_knob_changed_for_one_agency_leaves_the_other_files_alone(world, tmp_path):
    config = SynthConfig().with_mess(Mess.only("latin", 1.0), ("payroll",))
    generate_world(tmp_path, PERSONS, SEED, config)
    before, after = _digests(world["dir"]), _digests(tmp_path)
    changed = {k for k in before if before[k] != after[k]}
    assert "agencies/payroll.csv" in changed
    assert changed <= {"agencies/payroll.csv", "manifest.json"}


def test_truth_names_the_person_behind_every_record(world):
    truth = _csv(world["dir"] / "truth" / "truth.csv")
    by_record = {(t["agency"], t["record_id"]): int(t["person_id"]) for t in truth}
    people = {p["person_id"]: p for p in world["persons"]}
    for info in _files(world, "extract") + [f for f in _files(world, "registry") if f["path"].endswith("members.csv")]:
        roles = {c["role"]: c["name"] for c in info["columns"]}
        rows = _read(world, info)
        ids_ok = ids_total = 0
        for row in rows:
            person = people[by_record[info["agency"], row[roles["record_id"]]]]
            assert identity.sex(row[roles["sex"]]) == person["sex"]
            if row[roles["national_id"]] and person["national_id"]:
                ids_total += 1
                ids_ok += identity.national_id(row[roles["national_id"]]) == person["national_id"]
        assert ids_ok >= 0.9 * ids_total, info["path"]
        assert len(rows) == sum(1 for a, _ in by_record if a == info["agency"]), info["path"]


def test_expected_findings_point_at_a_beneficiary_and_a_record_of_theirs(world):
    truth = {(t["agency"], t["record_id"]): int(t["person_id"]) for t in _csv(world["dir"] / "truth" / "truth.csv")}
    findings = _csv(world["dir"] / "truth" / "expected_findings.csv")
    households = {h["household_id"]: h for h in _csv(world["dir"] / "registry" / "households.csv")}
    people = {p["person_id"]: p for p in world["persons"]}
    assert {"deceased", "government_salary", "vehicle"} <= {f["reason"] for f in findings}
    for f in findings:
        person = people[int(f["person_id"])]
        assert truth[f["agency"], f["record_id"]] == int(f["person_id"])
        if f["reason"] == "duplicate":  # the later enrolment, in another household
            assert person["registry_household_id"] != f["household_id"]
            assert f["effective_date"] == households[f["household_id"]]["enrolled_on"]
            continue
        assert person["registry_household_id"] == f["household_id"]
        assert f["effective_date"] >= households[f["household_id"]]["enrolled_on"]
        if f["reason"] == "deceased":
            assert f["effective_date"] == str(person["death_date"])
        if f["reason"] == "remarried":
            assert person["sex"] == "F" and f["effective_date"] == str(person["remarried_on"])


def test_relatives_of_beneficiaries_appear_in_partner_extracts(world):
    """The hardest negatives: a beneficiary's son on a payroll, a daughter's marriage contract."""
    people = {p["person_id"]: p for p in world["persons"]}
    beneficiaries = {pid for pid, p in people.items() if p["registry_household_id"]}
    relatives = set()
    for pid in beneficiaries:
        p = people[pid]
        relatives |= {p["father_id"], p["mother_id"], p["spouse_id"]} - {None}
    relatives |= {
        pid for pid, p in people.items() if p["father_id"] in beneficiaries or p["mother_id"] in beneficiaries
    }
    relatives -= beneficiaries
    truth = _csv(world["dir"] / "truth" / "truth.csv")
    in_partner = {int(t["person_id"]) for t in truth if t["agency"] not in ("registry", "ration")}
    hard = relatives & in_partner
    assert len(hard) >= 20
    # Siblings share the father's and grandfather's names and the surname with the beneficiary.
    fathers = {people[b]["father_id"] for b in beneficiaries} - {None}
    siblings = {pid for pid in in_partner - beneficiaries if people[pid]["father_id"] in fathers}
    assert siblings
    beneficiary_share = len(in_partner & beneficiaries) / len(in_partner)
    assert 0.02 < beneficiary_share < 0.5  # most partner rows are not beneficiaries


def test_registry_ledger_pays_every_month_from_enrolment(world):
    enrolments = _csv(world["dir"] / "registry" / "enrolments.csv")
    payments = read_table(world["dir"] / "registry" / "payments.parquet", "parquet").to_pylist()
    months: dict[str, list] = {}
    for p in payments:
        months.setdefault(p["enrolment_id"], []).append(p["month"])
    for e in enrolments[:50]:
        paid = sorted(months.get(e["enrolment_id"], []))
        if paid:
            assert str(paid[0]) > e["start_date"][:7]
            assert len(paid) == len(set(paid))
            assert (paid[-1].year - paid[0].year) * 12 + paid[-1].month - paid[0].month + 1 == len(paid)


def test_double_enrolments_are_later_rows_in_another_household_written_by_another_hand(tmp_path):
    out = tmp_path / "w"
    generate_world(out, PERSONS, SEED, replace(SynthConfig(), duplicate_enrolments=0.1))
    duplicates = _csv(out / "truth" / "duplicates.csv")
    members = {m["رقم السجل"]: m for m in _csv(out / "registry" / "members.csv")}
    households = {h["household_id"]: h for h in _csv(out / "registry" / "households.csv")}
    truth = {t["record_id"]: t["person_id"] for t in _csv(out / "truth" / "truth.csv") if t["agency"] == "registry"}
    findings = {(f["record_id"], f["household_id"]) for f in _csv(out / "truth" / "expected_findings.csv")
                if f["reason"] == "duplicate"}
    assert 15 <= len(duplicates) <= 45, "about 10 % of some 280 members"
    written_apart = 0
    for d in duplicates:
        first, second = members[d["record_id"]], members[d["duplicate_record_id"]]
        assert truth[d["record_id"]] == truth[d["duplicate_record_id"]] == d["person_id"]
        assert (first["رقم الأسرة"], second["رقم الأسرة"]) == (d["household_id"], d["duplicate_household_id"])
        assert households[d["duplicate_household_id"]]["enrolled_on"] >= households[d["household_id"]]["enrolled_on"]
        assert d["duplicate_record_id"] > d["record_id"], "the later enrolment has the later record number"
        assert (d["duplicate_record_id"], d["duplicate_household_id"]) in findings
        written_apart += any(first[c] != second[c] for c in ("الاسم", "اسم الاب", "اسم الجد", "اللقب", "اسم الام",
                                                            "تاريخ الميلاد", "رقم البطاقة الوطنية"))
    assert written_apart >= 0.8 * len(duplicates)
    again = tmp_path / "again"
    generate_world(again, PERSONS, SEED, replace(SynthConfig(), duplicate_enrolments=0.1))
    assert (again / "truth" / "duplicates.csv").read_bytes() == (out / "truth" / "duplicates.csv").read_bytes()
    none = tmp_path / "none"
    generate_world(none, PERSONS, SEED, replace(SynthConfig(), duplicate_enrolments=0.0))
    assert _csv(none / "truth" / "duplicates.csv") == []


def test_every_knob_is_documented():
    docs = (Path(__file__).parents[2] / "docs" / "synthetic-data.md").read_text(encoding="utf-8")
    for knob in Mess.knobs():
        assert f"`{knob}`" in docs, knob


def test_the_command_writes_a_world_and_summarises_it(tmp_path):
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "w"), "--persons", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / "manifest.json").exists()
    assert "agencies/courts.csv" in result.output and "expected findings" in result.output
