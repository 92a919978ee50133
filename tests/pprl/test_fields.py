"""The field declarations: stable level codes, one code per level, columns and comparisons from one place."""

from __future__ import annotations

import csv
from pathlib import Path

from sijill.pprl.format import encoding_spec
from sijill.pprl.format.fields import ExtraField, Fields, every_level

CODES = Path(__file__).parent / "level_codes.csv"
EXTRA = [ExtraField("locality", "text"), ExtraField("postcode", "exact")]


def test_level_codes_are_stable():
    """Codes are stored with every hit: one renamed here would leave stored hits unexplained."""
    with open(CODES, encoding="utf-8") as f:
        expected = [(r["comparison"], r["code"], r["label"]) for r in csv.DictReader(f)]
    assert [(f, lv.code, lv.label) for f, lv in every_level(EXTRA)] == expected


def test_within_a_comparison_each_level_has_its_own_code_and_label():
    for c in Fields.of(encoding_spec({"extra": {"locality": "text", "postcode": "exact"}})).comparisons("block_s"):
        codes, labels = [lv.code for lv in c.levels], [lv.label for lv in c.levels]
        assert len(set(codes)) == len(codes) and len(set(labels)) == len(labels), c.name
        assert codes[0].endswith(".missing") and c.levels[0].splink()["is_null_level"]
        assert c.levels[-1].sql == "ELSE"


def test_the_package_columns_come_from_the_fields():
    spec = encoding_spec({"extra": {"locality": "text"}})
    names = [name for name, _, _ in spec.columns()]
    assert names[0] == "ref" and names[-1] == "payload"
    assert names == ["ref", *(c for f in spec.fields.in_package for c, _, _ in f.columns(spec)), "payload"]
    assert "extra_locality_bloom" in names and sum(n.startswith("block_") for n in names) == len(spec.blocking)


def test_hardened_packages_carry_no_name_tokens():
    spec = encoding_spec({"profile": "hardened"})
    names = {name for name, _, _ in spec.columns()}
    assert "given_name_bloom" in names and not {"given_name", "surname_key", "mother_first"} & names
