"""End to end on a small synthetic world: every holder encodes its file with the shipped example schema,
a stand-in hub links exact pairs from the packages alone, and the registry opens the hits."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from sijill.pprl.format import (
    TrustStore,
    example_schemas,
    hits_table,
    load_schema,
    open_package,
    open_packages,
    write_hits,
)
from sijill.pprl.holder import HolderKeys, encode, init_keys, trust_key
from sijill.pprl.registry import RegistryKeys, open_hits
from sijill.synth import generate_world
from sijill.tabular import read_batches

EXACT = """
    select r.ref, p.ref, p.payload
    from read_parquet('{registry}') r join read_parquet('{partner}') p on r.national_id = p.national_id
    where r.given_name_canonical = p.given_name_canonical or r.father_name_canonical = p.father_name_canonical
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    generate_world(root / "world", persons=2000, seed=3)
    manifest = json.loads((root / "world" / "manifest.json").read_text(encoding="utf-8"))
    files = {f["agency"]: f for f in manifest["files"]
             if f["kind"] == "extract" or f["path"].endswith("registry/members.csv")}
    init_keys(root / "keys" / "registry", "registry")
    results = {}
    for agency, info in files.items():
        if agency != "registry":
            init_keys(root / "keys" / agency, agency, join=root / "keys" / "registry")
            trust_key(root / "keys" / "registry", root / "keys" / agency / "holder.pub")
        source = read_batches(root / "world" / info["path"])
        results[agency] = encode(source.batches, load_schema(f"example:{agency}"),
                                      HolderKeys.load(root / "keys" / agency), root / "out" / f"{agency}.pkg",
                                      source=info["path"], skipped_rows=source.skipped)
    with open(root / "world" / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = {(r["agency"], r["record_id"]): r["person_id"] for r in csv.DictReader(f)}
    return root, files, results, truth


def test_every_synthetic_file_has_an_example_schema():
    manifest_agencies = {"registry", "courts", "deaths", "travel", "loans", "vehicles", "pensions", "payroll",
                         "licences", "ration", "insured"}
    assert manifest_agencies <= set(example_schemas())


def test_the_registry_and_every_agency_encode_sign_and_verify(synthetic):
    root, files, results, _ = synthetic
    assert set(results) == set(files) and len(results) == 11
    trust = TrustStore.from_dir(root / "keys" / "registry")
    packages = open_packages([r.package for r in results.values()], trust)
    for package in packages:
        result = results[package.agency]
        assert result.encoded == result.rows == files[package.agency]["rows"], package.agency
        assert package.manifest.records == result.records >= result.encoded


def test_exact_hits_from_the_packages_alone_are_true_and_open_at_the_registry(synthetic, tmp_path):
    root, _, results, truth = synthetic
    trust = TrustStore.from_dir(root / "keys" / "registry")
    registry = open_package(results["registry"].package, trust)
    rows, partners = [], []
    for agency, result in results.items():
        if agency == "registry":
            continue
        partner = open_package(result.package, trust)
        partners.append(partner)
        query = EXACT.format(registry=registry.encodings_path, partner=partner.encodings_path)
        rows += [{"cycle": partner.manifest.cycle, "registry_ref": r, "agency": agency, "partner_ref": p,
                  "match_class": "exact", "probability": 1.0, "match_weight": 20.0, "explanation": [],
                  "payload_key": partner.manifest.sealed_payload_key, "payload": payload}
                 for r, p, payload in duckdb.sql(query).fetchall()]
    write_hits(tmp_path / "hits.parquet", hits_table(rows), partners)
    opened = open_hits(tmp_path / "hits.parquet", RegistryKeys.load(root / "keys" / "registry"),
                            [results["registry"].map], trust)
    assert len(opened.rows) > 100 and opened.unknown_refs == 0
    agencies = {hit.agency for hit in opened.rows}
    assert len(agencies) >= 8
    wrong = [hit for hit in opened.rows if truth[("registry", hit.registry_record_id)]
             != truth[(hit.agency, hit.partner_record_id)]]
    assert not wrong, "the exact class must be exact"
    death = next(hit for hit in opened.rows if hit.agency == "deaths")
    assert death.payload["تاريخ الوفاة"], "the registry reads the partner's payload of a hit"


def test_a_package_holds_none_of_the_synthetic_names(synthetic):
    root, files, results, _ = synthetic
    names = set()
    with open(root / "world" / files["courts"]["path"], encoding=files["courts"]["encoding"]) as f:
        for row in csv.DictReader(f):
            names.update(w for w in row["الاسم الرباعي"].split() if len(w.encode()) >= 8)
    data = b"".join(p.read_bytes() for p in Path(results["courts"].package).iterdir())
    table = open_package(results["courts"].package, TrustStore.from_dir(root / "keys" / "registry"))
    data += b"".join(v for v in table.read(["payload"])["payload"].to_pylist())
    assert names and not [n for n in names if n.encode() in data]
