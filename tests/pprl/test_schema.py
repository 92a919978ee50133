"""Linkage schemas: what a data officer writes, and the errors that tell them what to fix."""

from __future__ import annotations

import pytest

from sijill.pprl.format import HITS_SCHEMA, SchemaError, TrustStore, encoding_spec, open_package
from sijill.pprl.format.schema import schema_from_dict
from sijill.pprl.holder import encode, init_keys

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
    with pytest.raises(SchemaError, match=message):
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
    with pytest.raises(SchemaError, match="missing: dob"):
        schema.check_header(["id", "name"], "in.csv")


def test_the_encoding_hash_ignores_layout_and_local_settings():
    a = schema_from_dict({**BASE, "package": {"dummy_share": 0.5}})
    b = schema_from_dict({"record_id": "ref", "fields": {"full_name": "الاسم"}})
    assert a.encoding.hash == b.encoding.hash, "holders with different layouts must produce comparable packages"
    assert a.hash != b.hash
    hardened = schema_from_dict({**BASE, "encoding": {"profile": "hardened"}})
    assert hardened.encoding.hash != a.encoding.hash


def test_hardened_profile_drops_exact_name_tokens_and_balances_filters():
    spec = encoding_spec({"profile": "hardened"})
    names = [c for c, _, _ in spec.columns()]
    assert "given_name" not in names and "given_name_skeleton" not in names
    assert "given_name_bloom" in names and spec.bloom_bytes == 2 * spec.bloom.bits // 8
    assert spec.hardening.blip > 0


def test_every_column_is_documented():
    for name, _, doc in encoding_spec().columns():
        assert doc, name
    for field in HITS_SCHEMA:
        assert field.metadata[b"doc"], field.name


def test_the_package_schema_round_trips_through_the_manifest():
    spec = encoding_spec({"profile": "hardened", "blocking": {"b": ["sex", "birth_date.year"]}})
    d = spec.as_dict()
    again = encoding_spec({k: d[k] for k in ("profile", "bloom", "hardening", "blocking")})
    assert again == spec and again.hash == spec.hash


def test_latin_letters_in_bloom_filters_are_a_cycle_setting_that_leaves_default_hashes_alone():
    default = encoding_spec()
    letters = encoding_spec({"bloom": {"latin": "letters"}})
    assert "latin" not in default.as_dict()["bloom"], "packages encoded before the setting keep their hash"
    assert letters.hash != default.hash and letters.as_dict()["bloom"]["latin"] == "letters"
    again = encoding_spec({k: letters.as_dict()[k] for k in ("profile", "bloom", "hardening", "blocking")})
    assert again == letters
    with pytest.raises(SchemaError, match=r"bloom\.latin"):
        encoding_spec({"bloom": {"latin": "cyrillic"}})


def test_latin_letters_keep_short_vowels_apart_in_the_filters():
    """Bloom filters of Latin names from their Arabic form lose most of the short vowels (Tom and Tim are both
    تم, and only the reading with a long vowel, توم / تيم, tells them apart); from their own letters they stay
    further apart, as a cycle of Latin-script holders needs."""
    import numpy as np

    from sijill.pprl.format.keyfiles import Secret
    from sijill.pprl.holder.tokens import BloomEncoder
    from sijill.pprl.holder.vocab import Interner, NameVocab

    def dice(spec) -> float:
        key = Secret(b"k" * 32)
        vocab = NameVocab("given_name", {}, BloomEncoder(key, spec.bloom, spec.hardening, key), False, Interner())
        vocab.get("tom"), vocab.get("tim")
        a, b = np.unpackbits(vocab.array("bloom"), axis=1).astype(bool)
        return 2 * (a & b).sum() / (a.sum() + b.sum())

    arabic, letters = dice(encoding_spec()), dice(encoding_spec({"bloom": {"latin": "letters"}}))
    assert letters < arabic < 1


def test_a_blocking_token_in_any_order_is_a_setting_of_its_own():
    spec = encoding_spec({"blocking": {"names": {"any_order": ["given_name.skeleton", "surname.skeleton"]},
                                            "gy": ["given_name.skeleton", "birth_date.year"]}})
    assert [b.any_order for b in spec.blocking] == [True, False]
    d = spec.as_dict()
    assert d["blocking"] == [["names", {"any_order": ["given_name.skeleton", "surname.skeleton"]}],
                             ["gy", ["given_name.skeleton", "birth_date.year"]]]
    again = encoding_spec({k: d[k] for k in ("profile", "bloom", "hardening", "blocking")})
    assert again == spec and again.hash == spec.hash
    ordered = encoding_spec({"blocking": {"names": ["given_name.skeleton", "surname.skeleton"]}})
    assert ordered.hash != encoding_spec({"blocking": {"names": {"any_order": ["given_name.skeleton",
                                                                                     "surname.skeleton"]}}}).hash
    with pytest.raises(SchemaError, match="one kind"):
        encoding_spec({"blocking": {"x": {"any_order": ["given_name.skeleton", "birth_date.year"]}}})
    with pytest.raises(SchemaError, match="any_order"):
        encoding_spec({"blocking": {"x": {"sorted": ["given_name.skeleton", "surname.skeleton"]}}})


def test_a_name_written_in_the_surnames_place_keeps_its_any_order_token(tmp_path):
    """FEBRL-like files swap given name and surname; the any-order token is the same for both writings
    (under the same keys), the ordered token is not."""
    from sijill.pprl.format.schema import schema_from_dict
    from sijill.pprl.holder.keys import HolderKeys

    init_keys(tmp_path / "keys", "registry")
    blocking = {"names": {"any_order": ["given_name.skeleton", "surname.skeleton"]},
                "ordered": ["given_name.skeleton", "surname.skeleton"]}
    schema = schema_from_dict({"agency": "registry", "record_id": "id",
                               "fields": {"given_name": "given", "surname": "surname"},
                               "encoding": {"blocking": blocking}, "package": {"dummy_share": 0, "pad_to": 1}})
    batch = {"id": ["a", "b", "c"], "given": ["michaela", "neumann", "michaela"],
             "surname": ["neumann", "michaela", "green"]}
    result = encode([batch], schema, HolderKeys.load(tmp_path / "keys"), tmp_path / "x.pkg")
    table = open_package(result.package, TrustStore.from_dir(tmp_path / "keys")).read()
    with open(result.map, encoding="utf-8-sig") as f:
        import csv

        record = {m["ref"]: m["record_id"] for m in csv.DictReader(f)}
    rows = {record[r["ref"]]: r for r in table.to_pylist()}
    assert rows["a"]["block_names"] == rows["b"]["block_names"] != rows["c"]["block_names"]
    assert rows["a"]["block_ordered"] != rows["b"]["block_ordered"]
