"""The hub compares a cycle's extra fields (declared by the holders' schemas, not by the hub) when both
packages carry them; packages without extra fields match as before."""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pytest

from sijill.linkage import match
from sijill.linkage.comparisons import comparisons
from sijill.pprl.format import TrustStore, encoding_spec, read_hits
from sijill.pprl.format.schema import schema_from_dict
from sijill.pprl.holder import HolderKeys, encode, init_keys
from sijill.tabular import read_batches

HEADER = ["id", "given", "surname", "dob", "ssn", "street", "town", "postcode"]
EXTRA = {"street": "text", "town": "text", "postcode": "exact"}
BLOCKING = {"given_year": ["given_name.skeleton", "birth_date.year"],
            "surname_year": ["surname.key", "birth_date.year"],
            "given_surname": ["given_name.skeleton", "surname.skeleton"]}
SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "bel", "dan", "vi", "ro", "gan", "sha", "lin", "tor", "ez"]


def word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n))


def typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + rng.choice("xqzjw") + s[i + 1 :]


def people(rng: random.Random, n: int) -> list[dict]:
    towns = [(word(rng, 3), f"{4000 + k}") for k in range(25)]
    out = []
    for k in range(n):
        town, postcode = rng.choice(towns)
        out.append({"id": f"R{k}", "given": word(rng, 2), "surname": word(rng, 3),
                    "dob": f"{rng.randint(1930, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "ssn": str(rng.randint(10**6, 10**7 - 1)), "street": f"{rng.randint(1, 99)} {word(rng, 2)} street",
                    "town": town, "postcode": postcode})
    return out


def partner_copy(rng: random.Random, p: dict, k: int) -> dict:
    """One field changed, as a second agency writes a person."""
    q = dict(p, id=f"P{k}")
    change = rng.randrange(4)
    if change == 0:
        q["given"] = typo(rng, q["given"])
    elif change == 1:
        q["surname"] = typo(rng, q["surname"])
    elif change == 2:
        q["ssn"] = ""
    else:
        q["street"] = typo(rng, q["street"])
    return q


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    rng = random.Random(11)
    registry = people(rng, 700)
    partner = [partner_copy(rng, p, k) for k, p in enumerate(registry[:450])]
    partner += [dict(p, id=f"N{k}") for k, p in enumerate(people(rng, 100))]  # not beneficiaries
    # Two probes alike in every person field (surname misspelt, another number): one still lives at the
    # registry's address, the other has moved.
    stays = dict(registry[500], id="STAYS", surname=typo(rng, registry[500]["surname"]), ssn="1111111")
    moved = dict(registry[501], id="MOVED", surname=typo(rng, registry[501]["surname"]), ssn="2222222",
                 street="3 elsewhere road", town="faraway", postcode="9999")
    partner += [stays, moved]
    root = tmp_path_factory.mktemp("extra-hub")
    for name, rows in (("registry", registry), ("bank", partner)):
        with open(root / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=HEADER)
            writer.writeheader()
            writer.writerows(rows)
    return {"root": root, "truth": {(p["id"], f"P{k}") for k, p in enumerate(registry[:450])}
            | {(registry[500]["id"], "STAYS"), (registry[501]["id"], "MOVED")}}


def run(world: dict, tmp: Path, extra: bool) -> dict[str, dict]:
    """Both holders encode (with or without the address as extra fields); the hub matches; hits by partner id."""
    root = world["root"]
    init_keys(tmp / "keys" / "registry", "registry")
    init_keys(tmp / "keys" / "bank", "bank", join=tmp / "keys" / "registry")
    (tmp / "trusted").mkdir()
    packages, ids = {}, {}
    for who in ("registry", "bank"):
        (tmp / "trusted" / f"{who}.pub").write_bytes((tmp / "keys" / who / "holder.pub").read_bytes())
        fields = {"given_name": "given", "surname": "surname", "birth_date": "dob", "ration_card": "ssn"}
        data = {"agency": who, "record_id": "id", "fields": fields, "package": {"dummy_share": 0, "pad_to": 1},
                "encoding": {"bloom": {"latin": "letters"}, "blocking": BLOCKING}}
        if extra:
            data |= {"extra": EXTRA, "fields": fields | {f: f for f in EXTRA}}
        schema = schema_from_dict(data, source=f"{who}.yaml")
        keys = HolderKeys.load(tmp / "keys" / who)
        result = encode(read_batches(root / f"{who}.csv").batches, schema, keys, tmp / f"{who}.pkg", agency=who)
        packages[who] = result.package
        with open(f"{result.package}.map.csv", encoding="utf-8-sig") as f:
            ids |= {r["ref"]: r["record_id"] for r in csv.DictReader(f)}
    hits = tmp / "hits.parquet"
    match(packages["registry"], [packages["bank"]], hits, TrustStore.from_dir(tmp / "trusted"))
    out = {}
    for h in read_hits(hits).to_pylist():
        out[ids[h["partner_ref"]]] = h | {"registry_id": ids[h["registry_ref"]]}
    shutil.rmtree(tmp / "keys")
    return out


def test_agreeing_on_extra_fields_scores_higher_and_is_explained(world, tmp_path):
    hits = run(world, tmp_path, extra=True)
    stays, moved = hits["STAYS"], hits.get("MOVED")
    levels = {e["field"]: e for e in stays["explanation"]}
    assert levels["town"]["level"] == "exact" and levels["town"]["weight"] > 0
    assert levels["street"]["level"] == "exact" and levels["postcode"]["weight"] > 0
    assert moved is None or moved["match_weight"] < stays["match_weight"] - 3, "a move is evidence against"
    assert moved is None or {e["field"]: e["level"] for e in moved["explanation"]}["town"] == "disagree"
    typo_street = [h for h in hits.values() if {e["field"]: e["level"] for e in h["explanation"]}.get("street", "")
                   .startswith(("similar", "near"))]
    assert typo_street, "a misspelt street is compared by its Bloom filter"
    auto = {(h["registry_id"], pid) for pid, h in hits.items() if h["match_class"] != "review"}
    assert len(auto - world["truth"]) == 0 and len(auto) >= 0.9 * len(world["truth"])


def test_packages_without_extra_fields_still_match(world, tmp_path):
    hits = run(world, tmp_path, extra=False)
    fields = {e["field"] for h in hits.values() for e in h["explanation"]}
    assert not fields & set(EXTRA), "nothing is said of fields the packages do not carry"
    auto = {(h["registry_id"], pid) for pid, h in hits.items() if h["match_class"] != "review"}
    assert len(auto - world["truth"]) == 0 and len(auto) >= 0.8 * len(world["truth"])


def test_an_extra_field_is_compared_only_when_both_sides_carry_it():
    spec = encoding_spec({"extra": EXTRA})
    both = {"given_name_skeleton", "extra_street_bloom_bits", "extra_street", "extra_postcode"}
    names = [c["output_column_name"] for c in comparisons(both, extra=spec.extra)]
    assert names == ["given_name", "street", "postcode"], "town: no values on one side, left out"
    street = next(c for c in comparisons(both, extra=spec.extra) if c["output_column_name"] == "street")
    assert [lv["label_for_charts"] for lv in street["comparison_levels"]] == [
        "missing", "exact", "similar (Dice >= 0.85)", "near (Dice >= 0.7)", "disagree"]
