"""The second world's files: the same contract as the first world (manifest, registry, eight extracts with
the headers of each agency's yaml, truth), deterministic per seed, readable by the shipped schemas."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sijill.cli import app
from sijill.synth.independent import AGENCIES, generate_independent_world
from sijill.synth.independent.coined import with_coined_names
from sijill.synth.independent.data import knowledge
from sijill.synth.independent.world import linkage
from sijill.synth.writers import read_table

PERSONS, SEED = 2000, 1001  # as in conftest.py


def _rows(world, info) -> list[dict]:
    return read_table(world["dir"] / info["path"], info["format"], info["encoding"]).to_pylist()


def _file(world, agency: str) -> dict:
    return next(f for f in world["manifest"]["files"] if f["agency"] == agency and f["kind"] != "truth")


def _truth(world) -> list[dict]:
    with open(world["dir"] / "truth" / "truth.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _headers(agency: str) -> list[str]:
    spec = linkage(agency)
    return [spec["record_id"], *spec["fields"].values(), *spec["payload"]]


def test_the_manifest_names_the_generator_and_every_file(world_b):
    m = world_b["manifest"]
    assert (m["generator"], m["persons"], m["seed"]) == ("independent", PERSONS, SEED)
    kinds = {f["agency"]: f["kind"] for f in m["files"]}
    assert kinds == {"registry": "registry", **dict.fromkeys(AGENCIES, "extract"), "truth": "truth"}
    assert set(m["profiles"]) == {"registry", *AGENCIES}
    assert "names_and_birth_date" in m["profiles"]["deaths"] and "latin" in m["profiles"]["loans"]
    for f in m["files"]:
        assert (world_b["dir"] / f["path"]).exists()
        assert f["rows"] == len(_rows(world_b, f)), f["path"]


@pytest.mark.parametrize("agency", ["registry", *AGENCIES])
def test_each_file_has_exactly_its_agency_headers(world_b, agency):
    info = _file(world_b, agency)
    table = read_table(world_b["dir"] / info["path"], info["format"], info["encoding"])
    assert table.column_names == _headers(agency)
    assert [c["name"] for c in info["columns"]] == _headers(agency)


def test_every_truth_record_exists_in_its_file(world_b):
    ids = {}
    for agency in ("registry", *AGENCIES):
        spec = linkage(agency)
        ids[agency] = [r[spec["record_id"]] for r in _rows(world_b, _file(world_b, agency))]
    truth = _truth(world_b)
    for agency, records in ids.items():
        listed = [t["record_id"] for t in truth if t["agency"] == agency]
        assert sorted(listed) == sorted(records) and len(set(records)) == len(records), agency
    assert all(0 <= int(t["person_id"]) < PERSONS for t in truth)


def test_the_registry_holds_about_an_eighth_of_the_people_and_a_few_double_enrolments(world_b):
    truth = _truth(world_b)
    members = {t["person_id"] for t in truth if t["agency"] == "registry"}
    assert 0.10 <= len(members) / PERSONS <= 0.15
    with open(world_b["dir"] / "truth" / "duplicates.csv", encoding="utf-8") as f:
        duplicates = list(csv.DictReader(f))
    assert duplicates
    person_of = {t["record_id"]: t["person_id"] for t in truth if t["agency"] == "registry"}
    spec = linkage("registry")
    household = {r[spec["record_id"]]: r[spec["payload"][0]] for r in _rows(world_b, _file(world_b, "registry"))}
    for d in duplicates:
        assert person_of[d["record_id"]] == person_of[d["duplicate_record_id"]] == d["person_id"]
        assert household[d["record_id"]] != household[d["duplicate_record_id"]]


@pytest.mark.parametrize("agency", [a for a in AGENCIES if a != "deaths"])
def test_an_agency_holds_some_members_and_many_more_non_members(world_b, agency):
    truth = _truth(world_b)
    members = {t["person_id"] for t in truth if t["agency"] == "registry"}
    rows = [t["person_id"] for t in truth if t["agency"] == agency]
    held = sum(p in members for p in rows)
    assert 0.04 <= held / len(members) <= 0.10
    assert held < len(rows) / 2


def test_the_deaths_register_has_names_and_birth_dates_only(world_b):
    spec = linkage("deaths")["fields"]
    rows = _rows(world_b, _file(world_b, "deaths"))
    assert rows and all(r[spec["national_id"]] is None and r[spec["mother_name"]] is None for r in rows)
    assert all(r[spec["full_name"]] and r[spec["birth_date"]] for r in rows)


def test_the_bank_extract_is_mostly_latin_and_spells_rare_names(world_b):
    name = linkage("loans")["fields"]["full_name"]
    record = linkage("loans")["record_id"]
    rows = {r[record]: r[name] for r in _rows(world_b, _file(world_b, "loans"))}
    latin = {rid for rid, n in rows.items() if not any("\u0600" <= ch <= "\u06ff" for ch in n)}
    assert len(latin) >= 0.7 * len(rows)
    k = with_coined_names(knowledge(), SEED)
    weight = {**dict(zip(k.male.arabic, k.male.weight, strict=True)),
              **dict(zip(k.female.arabic, k.female.weight, strict=True))}
    people = pq.read_table(world_b["dir"] / "truth" / "persons.parquet", columns=["given"]).to_pylist()
    person = {t["record_id"]: int(t["person_id"]) for t in _truth(world_b) if t["agency"] == "loans"}
    rare = [rid for rid in latin if weight[people[person[rid]]["given"]] <= 10]
    assert len(rare) >= 3  # names a lexicon of common names would not know, romanised letter by letter


def test_families_share_their_chain_and_twins_exist(world_b):
    people = pq.read_table(world_b["dir"] / "truth" / "persons.parquet").to_pylist()
    assert pq.read_schema(world_b["dir"] / "truth" / "persons.parquet").field("father_id").type == "int64"
    by_father: dict[int, list[dict]] = {}
    for p in people:
        if p["father_id"] is not None:
            by_father.setdefault(p["father_id"], []).append(p)
    siblings = [kids for kids in by_father.values() if len(kids) > 1]
    assert len(siblings) > 50
    for kids in siblings:
        assert len({(k["father"], k["grandfather"], k["surname"], k["mother_id"]) for k in kids}) == 1
    assert any(p["twin"] for p in people)
    assert sum(p["given"] == people[p["father_id"]]["father"] for p in people
               if p["father_id"] is not None and p["sex"] == "M") > 20  # named after the father's father


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1001, 1009))
def test_the_same_seed_gives_the_same_files(tmp_path, seed):
    digests = []
    for run in ("a", "b"):
        out = tmp_path / f"{seed}{run}"
        generate_independent_world(out, 300, seed)
        digests.append({p.relative_to(out): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(out.rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]


def test_another_seed_gives_another_world(tmp_path):
    for seed in (1001, 1002):
        generate_independent_world(tmp_path / str(seed), 300, seed)
    members = [(tmp_path / str(s) / "registry" / "members.csv").read_bytes() for s in (1001, 1002)]
    assert members[0] != members[1]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1001, 1009), st.integers(150, 800))
def test_any_world_has_the_yaml_headers_and_a_truth_row_for_every_record(tmp_path, seed, persons):
    out = tmp_path / f"{seed}-{persons}"
    generate_independent_world(out, persons, seed)
    world = {"dir": out, "manifest": json.loads((out / "manifest.json").read_text(encoding="utf-8"))}
    truth = {(t["agency"], t["record_id"]) for t in _truth(world)}
    listed = 0
    for agency in ("registry", *AGENCIES):
        info = _file(world, agency)
        table = read_table(out / info["path"], info["format"], info["encoding"])
        assert table.column_names == _headers(agency)
        records = {(agency, r) for r in table.column(linkage(agency)["record_id"]).to_pylist()}
        assert records <= truth
        listed += len(records)
    assert listed == len(truth)


def test_the_cli_writes_the_independent_world(tmp_path):
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "w"), "-n", "300", "-s", "1003",
                                      "--generator", "independent"])
    assert result.exit_code == 0, result.output
    assert '"generator": "independent"' in (tmp_path / "w" / "manifest.json").read_text(encoding="utf-8")


def test_the_shipped_schemas_read_every_extract(world_b, tmp_path):
    from sijill.pprl.holder import encode_holders

    files = {"registry": world_b["dir"] / "registry" / "members.csv",
             **{a: world_b["dir"] / _file(world_b, a)["path"] for a in AGENCIES}}
    results = {}
    encode_holders(Path(tmp_path), files, progress=lambda who, r: results.__setitem__(who, r))
    for who, r in results.items():
        assert r.encoded == r.rows > 0 and r.unusable == 0, who
        assert r.bad_values <= 0.15 * r.rows, who  # old ID numbers and district names, as in life
