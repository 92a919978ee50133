"""Linkage schemas: what a data officer writes, and the errors that tell them what to fix."""

from __future__ import annotations

import pytest

from sijill import pprl
from sijill.pprl.schema import schema_from_dict

BASE = {"record_id": "id", "fields": {"given_name": "name", "birth_date": "dob"}}

BAD = [
    ({"fields": {"given_name": "n"}}, "record_id"),
    ({**BASE, "fields": {"first_name": "n"}}, "unknown fields first_name"),
    ({**BASE, "fields": {"birth_date": "dob"}}, "map at least one of"),
    ({**BASE, "fields": {"given_name": ""}}, "fields.given_name must name a column"),
    ({**BASE, "colour": "blue"}, "unknown keys colour"),
    ({**BASE, "encoding": {"profile": "paranoid"}}, "profile 'paranoid'"),
    ({**BASE, "encoding": {"bloom": {"bits": 100}}}, "multiple of 16"),
    ({**BASE, "encoding": {"hardening": {"blip": 0.6}}}, "below 0.5"),
    ({**BASE, "encoding": {"hardening": {"salt": True}}}, "unexpected keyword"),
    ({**BASE, "encoding": {"blocking": {"given": ["given_name.skeleton"]}}}, "at least two values"),
    ({**BASE, "encoding": {"blocking": {"x": ["given_name.skeleton", "eye_colour"]}}}, "unknown values eye_colour"),
    ({**BASE, "package": {"dummy_share": 2}}, "dummy_share"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_schemas_say_what_to_fix(data, message):
    with pytest.raises(pprl.SchemaError, match=message):
        schema_from_dict(data, "s.yaml")


def test_several_columns_join_into_one_field_and_defaults_apply():
    schema = schema_from_dict({**BASE, "fields": {"mother_name": ["اسم الام", "اسم والد الام"]},
                               "payload": ["note"]})
    assert schema.fields["mother_name"] == ("اسم الام", "اسم والد الام")
    assert schema.input_columns() == ["id", "اسم الام", "اسم والد الام", "note"]
    assert schema.encoding.profile == "default" and schema.encoding.bloom.bits == 512
    assert schema.package.pad_to == 1000


def test_missing_columns_are_named():
    schema = schema_from_dict(BASE, "s.yaml")
    with pytest.raises(pprl.SchemaError, match="missing: dob"):
        schema.check_header(["id", "name"], "in.csv")


def test_the_encoding_hash_ignores_layout_and_local_settings():
    a = schema_from_dict({**BASE, "package": {"dummy_share": 0.5}})
    b = schema_from_dict({"record_id": "ref", "fields": {"full_name": "الاسم"}})
    assert a.encoding.hash == b.encoding.hash, "holders with different layouts must produce comparable packages"
    assert a.hash != b.hash
    hardened = schema_from_dict({**BASE, "encoding": {"profile": "hardened"}})
    assert hardened.encoding.hash != a.encoding.hash


def test_hardened_profile_drops_exact_name_tokens_and_balances_filters():
    spec = pprl.encoding_spec({"profile": "hardened"})
    names = [c for c, _, _ in spec.columns()]
    assert "given_name" not in names and "given_name_skeleton" not in names
    assert "given_name_bloom" in names and spec.bloom_bytes == 2 * spec.bloom.bits // 8
    assert spec.hardening.blip > 0


def test_every_column_is_documented():
    for name, _, doc in pprl.encoding_spec().columns():
        assert doc, name
    for field in pprl.HITS_SCHEMA:
        assert field.metadata[b"doc"], field.name


def test_the_package_schema_round_trips_through_the_manifest():
    spec = pprl.encoding_spec({"profile": "hardened", "blocking": {"b": ["sex", "birth_date.year"]}})
    d = spec.as_dict()
    again = pprl.encoding_spec({k: d[k] for k in ("profile", "bloom", "hardening", "blocking")})
    assert again == spec and again.hash == spec.hash
