"""The given name salted with the father's and grandfather's names (and its tokens once more with the birth
date): equal given names give equal encodings only under equal salts, and the hub's comparison still finds
one person's two records and tells twins apart (``salt_cases.csv``; ``same_salt``: the family's salt)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pprl_world import REGISTRY_HEADER, REGISTRY_SCHEMA, encode_file, read_csv, write_csv

from sijill.linkage.encodings import engine_table
from sijill.pprl.format import TrustStore, open_package
from sijill.pprl.format.fields import NAMES
from sijill.pprl.format.schema import BloomParams, Hardening
from sijill.pprl.holder import HolderKeys, init_keys
from sijill.pprl.holder.salt import Salter
from sijill.pprl.holder.tokens import BloomEncoder, dice

with open(Path(__file__).parent / "salt_cases.csv", encoding="utf-8") as f:
    CASES = list(csv.DictReader(f))
GIVEN = next(c for c in NAMES.comparisons() if c.name == "given_name")


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    """Every case's two records, encoded in one package; then (record a, record b) as the hub reads them."""
    root = tmp_path_factory.mktemp("salt")
    init_keys(root / "keys" / "registry", "registry")
    (root / "registry.yaml").write_text(REGISTRY_SCHEMA, encoding="utf-8")
    rows = []
    for k, case in enumerate(CASES):
        for side in "ab":
            rows.append((f"{k}{side}", "", case[f"given_{side}"], case[f"father_{side}"],
                         case[f"grandfather_{side}"], "", "", case[f"date_{side}"], "ذكر", "", ""))
    write_csv(root / "registry.csv", REGISTRY_HEADER, rows)
    result = encode_file(root, "registry", root / "registry.pkg")
    package = open_package(result.package, TrustStore.from_dir(root / "keys" / "registry"))
    refs = {m["ref"]: m["record_id"] for m in read_csv(result.map) if m["dummy"] == "false"}
    table = engine_table(package, "registry")
    by_id = {refs[r["unique_id"]]: r for r in table.to_pylist() if r["unique_id"] in refs}
    plain = {refs[r["ref"]]: r for r in package.read().to_pylist() if r["ref"] in refs}
    return {c["case"]: ((by_id[f"{k}a"], plain[f"{k}a"]), (by_id[f"{k}b"], plain[f"{k}b"]))
            for k, c in enumerate(CASES)}


def level(a: dict, b: dict) -> str:
    """The given-name level the hub's SQL gives the pair (the comparison's CASE WHEN, in DuckDB)."""
    columns = sorted(set(a) - {"source_dataset"})
    values = {f"{c}_l": a[c] for c in columns} | {f"{c}_r": b[c] for c in columns}
    cases = " ".join(f"WHEN {lv.sql} THEN '{lv.code}'" for lv in GIVEN.levels if lv.sql != "ELSE")
    sql = f"SELECT CASE {cases} ELSE '{GIVEN.levels[-1].code}' END FROM t"
    con = duckdb.connect()
    con.register("t", pa.Table.from_pylist([values]))
    return con.execute(sql).fetchone()[0]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_a_given_name_is_encoded_and_compared_within_its_family(pairs, case):
    (a, plain_a), (b, plain_b) = pairs[case["case"]]
    assert (plain_a["given_name"] == plain_b["given_name"]) == (case["same_given_token"] == "yes")
    assert (a["given_name_salt"] == b["given_name_salt"]) == (case["same_salt"] == "yes")
    if case["same_salt"] == "no":  # another salt: the filters are unrelated, not similar
        assert dice(plain_a["given_name_bloom"], plain_b["given_name_bloom"]) < 0.5
    assert level(a, b) in case["level"].split(" or ")  # a Dice band may shift with the key's bit collisions


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> HolderKeys:
    root = tmp_path_factory.mktemp("salter")
    init_keys(root, "registry")
    return HolderKeys.load(root)


GIVEN_NAMES = st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي", min_size=1, max_size=9)
SALTS = st.text(alphabet="ابتجحدرسعكلمنهوي\x1f0123456789-", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(name=GIVEN_NAMES, salt=SALTS, other=SALTS, token=st.integers(-(2**63), 2**63 - 1))
def test_equal_under_one_salt_unrelated_under_two(keys, name, salt, other, token):
    salter = Salter(keys.subkey("a"), keys.subkey("b"))
    bloom = BloomEncoder(keys.subkey("c"), BloomParams(), Hardening(), keys.subkey("d"))
    tokens = np.array([token, token], np.int64)
    assert bloom.encode(name, salt) == bloom.encode(name, salt)
    assert salter.tokens(tokens, [salt, salt])[0] == salter.tokens(tokens, [salt, salt])[1]
    if other != salt:
        assert dice(bloom.encode(name, salt), bloom.encode(name, other)) < 0.5
        assert salter.tokens(tokens, [salt, other])[0] != salter.tokens(tokens, [salt, other])[1]


@pytest.mark.parametrize(("salted", "columns"), [(True, {"given_name_salt", "given_name_dated_salt"}), (False, set())])
def test_a_package_says_whether_its_given_names_are_salted(tmp_path, salted, columns):
    """An unsalted package (``salt_given_name: false``) carries no salt columns and still opens: its
    manifest leaves the setting out, as packages written before it did."""
    init_keys(tmp_path / "keys" / "registry", "registry")
    schema = REGISTRY_SCHEMA + f"encoding: {{hardening: {{salt_given_name: {str(salted).lower()}}}}}\n"
    (tmp_path / "registry.yaml").write_text(schema, encoding="utf-8")
    write_csv(tmp_path / "registry.csv", REGISTRY_HEADER,
              [("1", "", "محمد", "جاسم", "حسين", "", "", "1980-05-17", "ذكر", "", "")])
    result = encode_file(tmp_path, "registry", tmp_path / "registry.pkg")
    package = open_package(result.package, TrustStore.from_dir(tmp_path / "keys" / "registry"))
    assert {"given_name_salt", "given_name_dated_salt"} & set(package.schema.names) == columns
    assert ("salt_given_name" in package.manifest.encoding["hardening"]) == salted
