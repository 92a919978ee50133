"""`encode`: clear records in, a package of encodings out; bad values reported; nothing lost silently."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pprl_world import COURT_HEADER, REGISTRY, REGISTRY_HEADER, encode_file, read_csv, write_csv

from sijill.pprl.format import NothingUsable, TrustStore, load_schema, open_package
from sijill.pprl.format.package import ENCODINGS, MANIFEST, SIGNATURE
from sijill.pprl.format.schema import schema_from_dict
from sijill.pprl.holder import EncodeResult, HolderKeys, encode

TOKENS = ["national_id", "given_name", "given_name_canonical", "given_name_skeleton", "father_name",
          "grandfather_name", "surname", "surname_key", "mother_name", "mother_first", "birth_year", "birth_month",
          "birth_date", "birth_date_swapped", "sex", "governorate", "block_given_father_grandfather",
          "block_given_father_year"]


def by_record(result: EncodeResult, world) -> dict[str, dict]:
    """The package's rows of real records, keyed by the holder's record id (through the local map)."""
    table = open_package(result.package, TrustStore.from_dir(world / "keys" / "registry")).read()
    rows = {r["ref"]: r for r in table.to_pylist()}
    return {m["record_id"]: rows[m["ref"]] for m in read_csv(result.map) if m["dummy"] == "false"}


def test_a_package_is_three_files_and_the_map_and_report_stay_beside_it(packages):
    result = packages["registry"]
    assert sorted(p.name for p in result.package.iterdir()) == [ENCODINGS, MANIFEST, SIGNATURE]
    assert result.map.parent == result.package.parent and result.map.exists()
    assert (result.rows, result.encoded, result.unusable, result.records) == (5, 5, 0, 50)


def test_counts_are_padded_with_dummies_marked_in_the_map_only(packages):
    result = packages["courts"]
    rows = read_csv(result.map)
    assert len(rows) == result.records == result.manifest.records == 50, "padded to a multiple of pad_to"
    real = [r for r in rows if r["dummy"] == "false"]
    assert sorted(r["record_id"] for r in real) == ["C-17", "C-18", "C-19"]
    assert [r["row"] for r in sorted(real, key=lambda r: r["record_id"])] == ["2", "3", "4"]
    assert all(r["record_id"] == "" and r["row"] == "" for r in rows if r["dummy"] == "true")


def test_one_person_gets_the_same_tokens_at_two_holders(world, packages):
    registry, court = by_record(packages["registry"], world), by_record(packages["courts"], world)
    # B001 and C-17: a national ID in Indic digits, a full name with harakat, a dd/mm/yyyy date.
    for column in ("national_id", "given_name", "father_name", "grandfather_name", "surname", "birth_date",
                   "birth_year", "given_name_bloom", "block_given_father_grandfather", "block_given_father_year",
                   "mother_first"):
        assert registry["B001"][column] == court["C-17"][column], column
    assert registry["B001"]["mother_name"] == court["C-17"]["mother_name"], "فاطمة = فاطمه once normalised"
    # B002 and C-18: the court has the mother's first name only.
    assert registry["B002"]["mother_first"] == court["C-18"]["mother_first"]
    assert registry["B002"]["mother_name"] != court["C-18"]["mother_name"]
    assert court["C-19"]["national_id"] not in {r["national_id"] for r in registry.values()}


def test_fields_get_unrelated_tokens(world, packages):
    row = by_record(packages["registry"], world)["B001"]
    tokens = [row[c] for c in TOKENS if row[c] is not None]
    assert len(set(tokens)) == len(tokens), "per-field keys: no two fields share a token"


def test_a_year_only_date_gets_a_year_token_only(world, packages):
    row = by_record(packages["registry"], world)["B003"]  # born "1977"
    assert row["birth_precision"] == 1 and row["birth_year"] is not None
    assert row["birth_month"] is None and row["birth_date"] is None


def test_a_swappable_date_gets_the_swapped_token(world, packages):
    registry = by_record(packages["registry"], world)
    assert registry["B001"]["birth_date_swapped"] is not None  # 1985-03-02 could be 1985-02-03
    assert registry["B004"]["birth_date_swapped"] is None  # 25 December cannot be swapped


def test_mohammed_ali_keeps_both_readings(world, packages):
    registry = by_record(packages["registry"], world)
    b003 = registry["B003"]  # given "محمد علي", father كريم
    assert b003["given_name_alt"] is not None and b003["father_name_alt"] is not None
    # Salted with its own father and grandfather (علي, كريم), the other reading's محمد is not B001's (father
    # جاسم); tests/pprl/test_salt.py checks that it meets a محمد son of علي son of كريم.
    assert b003["given_name_alt"] != registry["B001"]["given_name"], "a given name is salted by its family"
    assert b003["grandfather_name_alt"] is not None, "in the other reading the father becomes the grandfather"
    assert registry["B001"]["given_name_alt"] is None


BAD_ROWS = [  # row, (fields...), expected (field, value, reason) in the report
    ["R1", "198503021234", "علي", "حسن", "", "", "", "1990-02-31", "ذكر", "بغداد", "x"],
    ["R2", "12345", "زينب", "", "", "", "", "1990", "F", "Atlantis", "x"],
    ["R3", "197001010001", "", "", "", "", "", "", "", "", "x"],
    ["R4", "", "", "", "", "", "", "1980", "", "", "x"],
    ["", "199901010001", "سارة", "", "", "", "", "", "", "", "x"],
    ["R6", "", "؟؟", "", "", "", "", "", "ذكر", "", "x"],
]
REPORTED = [
    ("2", "birth_date", "1990-02-31", "no such day: day 31, month 2, year 1990"),
    ("3", "national_id", "12345", "national ID must have 12 digits, not 5"),
    ("3", "governorate", "Atlantis", "not a known governorate or governorate capital"),
    ("4", "given_name", "", "name is empty"),
    ("5", "given_name", "", "name is empty"),
    ("5", "*", "", "nothing to match on: no valid national ID, ration card or name"),
    ("6", "record_id", "", "record id is empty"),
    ("7", "given_name", "؟؟", "name has no letters once normalised"),
    ("7", "*", "", "nothing to match on: no valid national ID, ration card or name"),
]


def test_bad_values_are_reported_and_their_fields_encoded_as_missing(world, tmp_path):
    write_csv(world / "bad.csv", REGISTRY_HEADER, BAD_ROWS)
    result = encode_file(world, "bad", tmp_path / "bad.pkg", schema="registry", keys="registry")
    report = read_csv(result.errors_report)
    assert [(r["row"], r["field"], r["value"], r["reason"]) for r in report] == REPORTED
    assert {r["file"] for r in report} == {str(world / "bad.csv")}
    assert (result.rows, result.encoded, result.unusable) == (6, 3, 3)
    rows = by_record(result, world)
    assert rows["R1"]["birth_year"] is None and rows["R1"]["given_name"] is not None, "the date alone is missing"
    assert rows["R2"]["national_id"] is None and rows["R2"]["birth_year"] is not None
    assert rows["R2"]["governorate"] is None and rows["R2"]["sex"] is not None
    assert rows["R3"]["national_id"] is not None and rows["R3"]["given_name"] is None


def test_nothing_usable_fails_and_leaves_the_report(world, tmp_path):
    write_csv(world / "empty.csv", COURT_HEADER, [["C-1", "", "", "", "1990", "x", "y"]])
    with pytest.raises(NothingUsable, match="no row has anything to match on"):
        encode_file(world, "empty", tmp_path / "empty.pkg", schema="courts", keys="courts")
    assert not (tmp_path / "empty.pkg").exists() and not (tmp_path / "empty.pkg.map.csv").exists()
    assert read_csv(tmp_path / "empty.pkg.errors.csv")[-1]["field"] == "*"


def test_reencoding_is_deterministic_apart_from_shuffle_dummies_and_sealing(world, packages, tmp_path):
    again = encode_file(world, "registry", tmp_path / "again.pkg")
    first, second = by_record(packages["registry"], world), by_record(again, world)
    for record_id, row in first.items():
        other = second[record_id]
        assert {c: v for c, v in row.items() if c not in ("ref", "payload")} == \
            {c: v for c, v in other.items() if c not in ("ref", "payload")}
        assert row["ref"] != other["ref"] and row["payload"] != other["payload"]


def test_other_readers_give_the_same_encodings(world, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(REGISTRY_HEADER)
    for row in REGISTRY:
        cells = list(row)
        cells[1] = int(cells[1])  # Excel keeps national numbers as numbers
        if cells[7] == "1985-03-02":
            cells[7] = dt.datetime(1985, 3, 2)
        sheet.append(cells)
    book.save(world / "registry-x.xlsx")
    pq.write_table(pa.table({h: [r[i] for r in REGISTRY] for i, h in enumerate(REGISTRY_HEADER)}),
                   world / "registry-p.parquet")
    from sijill.tabular import read_batches

    keys, schema = HolderKeys.load(world / "keys" / "registry"), load_schema(world / "registry.yaml")
    expected = {k: {c: v for c, v in r.items() if c not in ("ref", "payload")}
                for k, r in by_record(encode_file(world, "registry", tmp_path / "csv.pkg"), world).items()}
    for name in ("registry-x.xlsx", "registry-p.parquet"):
        source = read_batches(world / name)
        result = encode(source.batches, schema, keys, tmp_path / f"{name}.pkg")
        got = {k: {c: v for c, v in r.items() if c not in ("ref", "payload")}
               for k, r in by_record(result, world).items()}
        assert got == expected, name


def test_unsplittable_rows_are_reported_and_later_rows_keep_their_numbers(world, tmp_path):
    lines = [",".join(REGISTRY_HEADER), ",".join(REGISTRY[0]), "B9,1,2,3", ",".join(REGISTRY[1][:3]) + ",,,,,,,,"]
    (world / "ragged.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = encode_file(world, "ragged", tmp_path / "ragged.pkg", schema="registry", keys="registry")
    report = read_csv(result.errors_report)
    assert [(r["row"], r["field"]) for r in report] == [("3", "*")]
    assert "4 cells where the header has 11" in report[0]["reason"]
    assert {m["record_id"]: m["row"] for m in read_csv(result.map) if m["dummy"] == "false"} == \
        {"B001": "2", "B002": "4"}


def test_worker_processes_give_the_same_encodings(world, tmp_path):
    keys, schema = HolderKeys.load(world / "keys" / "registry"), load_schema(world / "registry.yaml")
    people = [dict(zip(REGISTRY_HEADER, (f"P{i:04d}", *REGISTRY[i % 5][1:]), strict=True)) for i in range(200)]
    batches = [{h: [p[h] for p in people[i : i + 50]] for h in REGISTRY_HEADER} for i in range(0, len(people), 50)]
    one = encode(batches, schema, keys, tmp_path / "one.pkg")
    arrow = [pa.record_batch({h: pa.array(b[h], pa.string()) for h in REGISTRY_HEADER}) for b in batches]
    two = encode(arrow, schema, keys, tmp_path / "two.pkg", workers=2)  # handed over in shared memory
    a, b = by_record(one, world), by_record(two, world)
    assert a.keys() == b.keys() and len(a) == 200
    strip = ("ref", "payload")
    assert all({c: v for c, v in a[k].items() if c not in strip} == {c: v for c, v in b[k].items() if c not in strip}
               for k in a)
    assert one.records == two.records == 250  # 200 + 2 % dummies, padded to 50


def test_dummies_share_the_shape_of_real_records(world, packages):
    result = packages["registry"]
    table = open_package(result.package, TrustStore.from_dir(world / "keys" / "registry")).read()
    dummies = {m["ref"] for m in read_csv(result.map) if m["dummy"] == "true"}
    real_ids = {r["national_id"] for r in table.to_pylist() if r["ref"] not in dummies}
    for row in table.to_pylist():
        if row["ref"] in dummies:
            assert row["given_name"] is not None or row["national_id"] is not None
            assert row["national_id"] not in real_ids, "a dummy never carries a real person's ID token"
            assert len(row["payload"]) % 32 == (24 + 16) % 32, "padded like the real payloads"


def test_the_hardened_profile_is_deterministic_per_record_but_not_per_name(world, tmp_path):
    import yaml

    keys = HolderKeys.load(world / "keys" / "registry")
    data = yaml.safe_load((world / "registry.yaml").read_text(encoding="utf-8"))
    schema = schema_from_dict({**data, "encoding": {"profile": "hardened"}})
    twins = [dict(zip(REGISTRY_HEADER, (rid, *REGISTRY[0][1:]), strict=True)) for rid in ("T1", "T2")]
    batch = {h: [t[h] for t in twins] for h in REGISTRY_HEADER}
    first = encode([batch], schema, keys, tmp_path / "a.pkg")
    again = encode([batch], schema, keys, tmp_path / "b.pkg")
    a, b = by_record(first, world), by_record(again, world)
    assert "given_name" not in a["T1"] and "given_name_bloom" in a["T1"]
    assert a["T1"]["given_name_bloom"] == b["T1"]["given_name_bloom"], "one record, one encoding"
    assert a["T1"]["given_name_bloom"] != a["T2"]["given_name_bloom"], "one name, two encodings"
    assert a["T1"]["national_id"] == a["T2"]["national_id"]


def test_forgetting_the_caches_between_batches_changes_no_encoding(world, tmp_path, monkeypatch):
    """Memory is bounded by forgetting cached values once there are many; a batch must never lose its own."""
    from sijill.pprl.holder.encoders import base

    keys, schema = HolderKeys.load(world / "keys" / "registry"), load_schema(world / "registry.yaml")
    people = [dict(zip(REGISTRY_HEADER, (f"P{i:04d}", *REGISTRY[i % 5][1:]), strict=True)) for i in range(100)]
    batches = [{h: [p[h] for p in people[i : i + 25]] for h in REGISTRY_HEADER} for i in range(0, len(people), 25)]
    kept = by_record(encode(batches, schema, keys, tmp_path / "kept.pkg"), world)
    monkeypatch.setattr(base, "CACHE_LIMIT", 1)  # forget everything after every batch
    forgot = by_record(encode(batches, schema, keys, tmp_path / "forgot.pkg"), world)
    strip = ("ref", "payload")
    assert kept.keys() == forgot.keys() and len(kept) == 100
    assert all({c: v for c, v in kept[k].items() if c not in strip} ==
               {c: v for c, v in forgot[k].items() if c not in strip} for k in kept)
