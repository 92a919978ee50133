"""Extra fields: a cycle's schemas declare fields beyond a person's (an address, a locality), and every
holder encodes them under keys of their own, as optional columns of the package."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sijill.pprl.format import LinkageSchema, SchemaError, TrustStore, encoding_spec, open_package
from sijill.pprl.format.schema import schema_from_dict
from sijill.pprl.holder import HolderKeys, init_keys
from sijill.pprl.holder import encode as encode_package
from sijill.tabular import read_batches

HEADER = ["id", "name", "surname", "dob", "street", "town", "postcode"]
ROWS = [
    ("A1", "Michaela", "Neumann", "1915-11-11", "8 Stanley Street", "Winston Hills", "4223"),
    ("A2", "Courtney", "Painter", "1916-12-14", "12 Pinkerton Circuit", "Richlands", "4560"),
    ("A3", "Charles", "Green", "1948-09-30", "", "Dapto", "4566"),
]
EXTRA = {"street": "text", "town": "text", "postcode": "exact"}


def schema(agency: str, extra: dict | None = EXTRA, mapped: tuple[str, ...] = ("street", "town", "postcode"),
           profile: str = "default") -> LinkageSchema:
    fields = {"given_name": "name", "surname": "surname", "birth_date": "dob", **{f: f for f in mapped}}
    data = {"agency": agency, "record_id": "id", "fields": fields, "encoding": {"profile": profile},
            "package": {"dummy_share": 0, "pad_to": 1}}
    if extra:
        data["extra"] = extra
    return schema_from_dict(data, source=f"{agency}.yaml")


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extra")
    init_keys(root / "keys" / "registry", "registry")
    init_keys(root / "keys" / "bank", "bank", join=root / "keys" / "registry")
    with open(root / "people.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        # the bank writes the town in capitals and the street with a dot: normalised away
        writer.writerows(ROWS)
    with open(root / "bank.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows([("K1", "Michaela", "Neumann", "1915-11-11", "8 Stanley Street.", "WINSTON HILLS", "4223")])
    return root


def encode(root: Path, who: str, s: LinkageSchema, name: str) -> dict[str, dict]:
    result = encode_package(read_batches(root / ("bank.csv" if who == "bank" else "people.csv")).batches, s,
                         HolderKeys.load(root / "keys" / who), root / f"{name}.pkg", agency=who)
    with open(f"{result.package}.map.csv", encoding="utf-8-sig") as f:
        ids = {r["ref"]: r["record_id"] for r in csv.DictReader(f)}
    return {ids[r["ref"]]: r for r in open_package(result.package, trust(root)).read().to_pylist()}


def trust(root: Path) -> TrustStore:
    folder = root / "trusted"
    folder.mkdir(exist_ok=True)
    for who in ("registry", "bank"):
        (folder / f"{who}.pub").write_bytes((root / "keys" / who / "holder.pub").read_bytes())
    return TrustStore.from_dir(folder)


def test_extra_fields_are_keyed_tokens_and_filters_equal_across_holders(cycle):
    reg = encode(cycle, "registry", schema("registry"), "registry")
    bank = encode(cycle, "bank", schema("bank"), "bank")
    a1, k1 = reg["A1"], bank["K1"]
    assert isinstance(a1["extra_street"], int) and isinstance(a1["extra_street_bloom"], bytes)
    assert isinstance(a1["extra_postcode"], int) and "extra_postcode_bloom" not in a1, "exact: a token only"
    # one value at two holders of the cycle: one token and one filter (case and punctuation normalised)
    for column in ("extra_street", "extra_street_bloom", "extra_town", "extra_town_bloom", "extra_postcode"):
        assert a1[column] == k1[column], column
    assert a1["extra_town"] != reg["A2"]["extra_town"]
    assert reg["A3"]["extra_street"] is None and reg["A3"]["extra_street_bloom"] is None, "empty is missing"
    assert "4223" not in str(a1["extra_postcode"]), "a keyed token, not the clear value"


def test_each_extra_field_has_its_own_key(cycle):
    """The same text under two extra fields gives unrelated tokens (per-field derived keys)."""
    rows = encode(cycle, "registry", schema("registry", extra={"street": "text", "town": "text"},
                                            mapped=("street", "town")), "same")
    keyed = schema_from_dict({"agency": "registry", "record_id": "id",
                              "fields": {"given_name": "name", "street": "town"}, "extra": {"street": "text"},
                              "package": {"dummy_share": 0, "pad_to": 1}})
    town_as_street = encode(cycle, "registry", keyed, "swapped")
    assert town_as_street["A1"]["extra_street"] != rows["A1"]["extra_town"]


def test_a_declared_field_a_holder_lacks_is_missing_and_the_package_opens(cycle):
    rows = encode(cycle, "registry", schema("registry", mapped=("postcode",)), "partial")
    assert all(r["extra_street"] is None and r["extra_town_bloom"] is None for r in rows.values())
    assert rows["A1"]["extra_postcode"] is not None


def test_packages_without_extra_fields_keep_their_columns_and_hash():
    plain = encoding_spec()
    assert "extra" not in plain.as_dict(), "the hash of a cycle without extra fields is the one it had"
    spec = schema("x").encoding
    assert spec.hash != plain.hash, "extra fields are part of the cycle's encoding"
    assert {c for c, _, _ in spec.columns()} - {c for c, _, _ in plain.columns()} == {
        "extra_street", "extra_street_bloom", "extra_town", "extra_town_bloom", "extra_postcode"}
    written = spec.as_dict()  # as the manifest holds it
    read = encoding_spec({k: written[k] for k in ("profile", "bloom", "hardening", "blocking", "extra")})
    assert read == spec and read.hash == spec.hash, "read back from a manifest"


def test_the_hardened_profile_keeps_only_the_filters_of_text_fields():
    names = {c for c, _, _ in schema("x", profile="hardened").encoding.columns()}
    assert {"extra_street_bloom", "extra_postcode"} <= names and "extra_street" not in names


@pytest.mark.parametrize(("extra", "message"), [
    ({"town": "fuzzy"}, "kind must be one of exact, text"),
    ({"surname": "text"}, "the name is taken"),
    ({"Town Name": "text"}, "lower-case ASCII"),
])
def test_bad_extra_fields_say_what_to_fix(extra, message):
    with pytest.raises(SchemaError, match=message):
        schema("x", extra=extra, mapped=())


def test_a_field_not_declared_as_extra_is_refused():
    with pytest.raises(SchemaError, match="declare others under extra"):
        schema("x", extra=None, mapped=("town",))


def test_an_extra_field_can_take_part_in_a_blocking_token(cycle):
    blocking = {"date_town": ["birth_date.full", "extra.town"], "given_year": ["given_name.skeleton",
                                                                               "birth_date.year"]}
    s = schema_from_dict({"agency": "registry", "record_id": "id", "extra": EXTRA,
                          "fields": {"given_name": "name", "birth_date": "dob", "town": "town"},
                          "encoding": {"blocking": blocking}, "package": {"dummy_share": 0, "pad_to": 1}})
    rows = encode(cycle, "registry", s, "blocked")
    assert rows["A1"]["block_date_town"] is not None and rows["A1"]["block_date_town"] != rows["A2"]["block_date_town"]
    with pytest.raises(SchemaError, match=r"unknown values extra\.suburb"):
        schema_from_dict({"record_id": "id", "fields": {"given_name": "n"}, "extra": EXTRA,
                          "encoding": {"blocking": {"x": ["birth_date.full", "extra.suburb"]}}})


def test_a_dummy_takes_all_its_extra_fields_from_one_record(cycle):
    """Dummies must look real: a suburb with another town's postcode would tell them apart."""
    s = schema_from_dict({"agency": "registry", "record_id": "id", "extra": EXTRA,
                          "fields": {"given_name": "name", "birth_date": "dob", "town": "town", "postcode": "postcode"},
                          "package": {"dummy_share": 1.0, "pad_to": 1}})
    keys = HolderKeys.load(cycle / "keys" / "registry")
    result = encode_package(read_batches(cycle / "people.csv").batches, s, keys, cycle / "dummies.pkg",
                            agency="registry")
    rows = open_package(result.package, trust(cycle)).read(["extra_town", "extra_postcode"]).to_pylist()
    assert len(rows) == 6
    assert len({(r["extra_town"], r["extra_postcode"]) for r in rows}) == 3, "only the real records' pairs"
