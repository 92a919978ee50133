"""The hub's accuracy and speed on a synthetic world the model was never tuned on.

Generates a world, encodes the registry and every agency's extract as their holders would, runs the hub
(`sijill.linkage.match`), and scores the hits against the world's truth per agency: precision, recall and
F1 of exact+probable, and the share of true links that land in review.

    .venv/bin/python benchmarks/bench_linkage.py [--persons 100000] [--seed 23] [--agencies all]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import tempfile
import time
from pathlib import Path

from sijill import pprl
from sijill.linkage import match
from sijill.synth import generate_world


def encode_world(world: Path, root: Path, agencies: list[str]) -> dict[str, Path]:
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    files = {f["agency"]: world / f["path"] for f in manifest["files"] if f["kind"] == "extract"}
    return pprl.encode_holders(root, {"registry": world / "registry" / "members.csv",
                                      **{a: files[a] for a in agencies}}, workers=2)


def refs(package: Path) -> dict[str, str]:
    with open(f"{package}.map.csv", encoding="utf-8-sig") as f:
        return {r["ref"]: r["record_id"] for r in csv.DictReader(f) if r["record_id"]}


def score(world: Path, hits: Path, packages: dict[str, Path], agencies: list[str]) -> list[dict]:
    import pyarrow.parquet as pq

    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    person = {t["person_id"]: t["record_id"] for t in truth if t["agency"] == "registry"}
    reg = refs(packages["registry"])
    table = pq.read_table(hits, columns=["agency", "registry_ref", "partner_ref", "match_class"]).to_pylist()
    rows = []
    for agency in agencies:
        true = {(person[t["person_id"]], t["record_id"]) for t in truth
                if t["agency"] == agency and t["person_id"] in person}
        par = refs(packages[agency])
        found: dict[str, set] = {"auto": set(), "review": set()}
        for h in table:
            if h["agency"] == agency and h["registry_ref"] in reg and h["partner_ref"] in par:
                key = "review" if h["match_class"] == "review" else "auto"
                found[key].add((reg[h["registry_ref"]], par[h["partner_ref"]]))
        tp = len(found["auto"] & true)
        p = tp / len(found["auto"]) if found["auto"] else 1.0
        r = tp / len(true) if true else 1.0
        rows.append({"agency": agency, "true": len(true), "auto": len(found["auto"]), "precision": p, "recall": r,
                     "f1": 2 * p * r / (p + r) if p + r else 0.0,
                     "true_in_review": len(found["review"] & true) / len(true) if true else 0.0,
                     "false_in_review": len(found["review"] - true)})
    return rows


def baseline_scores(world: Path, agency: str) -> tuple[float, float]:
    from baseline_splink import link

    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    person = {t["person_id"]: t["record_id"] for t in truth if t["agency"] == "registry"}
    true = {(person[t["person_id"]], t["record_id"]) for t in truth
            if t["agency"] == agency and t["person_id"] in person}
    found = link(world, agency)
    tp = len(found & true)
    return (tp / len(found) if found else 1.0), (tp / len(true) if true else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--agencies", default="courts,deaths,travel,loans,vehicles,pensions,payroll,insured")
    parser.add_argument("--baseline", action="store_true", help="also run plain Splink in clear text")
    args = parser.parse_args()
    agencies = args.agencies.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate_world(root / "world", args.persons, args.seed)
        t1 = time.perf_counter()
        packages = encode_world(root / "world", root, agencies)
        t2 = time.perf_counter()
        log = match(packages["registry"], [packages[a] for a in agencies], root / "hits.parquet",
                    pprl.TrustStore.from_dir(root / "hub" / "trusted"))
        t3 = time.perf_counter()
        rows = score(root / "world", root / "hits.parquet", packages, agencies)
        baseline = {a: baseline_scores(root / "world", a) for a in agencies} if args.baseline else {}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"world: {args.persons:,} persons, seed {args.seed}; synth {t1 - t0:.1f} s, encode {t2 - t1:.1f} s, "
          f"match {t3 - t2:.1f} s; peak memory {peak:,.0f} MB")
    print(f"{'agency':10} {'true':>6} {'auto':>6} {'precision':>9} {'recall':>7} {'F1':>7} {'true->review':>12} "
          f"{'false review':>12} {'candidates':>11}")
    candidates = {s.agency: s.candidates for s in log.stages}
    tp = sum(r["recall"] * r["true"] for r in rows)
    auto = sum(r["auto"] for r in rows)
    true = sum(r["true"] for r in rows)
    for r in rows:
        print(f"{r['agency']:10} {r['true']:6,} {r['auto']:6,} {r['precision']:9.4f} {r['recall']:7.4f} {r['f1']:7.4f} "
              f"{r['true_in_review']:12.1%} {r['false_in_review']:12,} {candidates.get(r['agency'], 0):11,}")
    p, rc = tp / auto, tp / true
    print(f"{'overall':10} {true:6,} {auto:6,} {p:9.4f} {rc:7.4f} {2 * p * rc / (p + rc):7.4f}")
    if baseline:
        print("\nplain Splink 5 in clear text (NameComparison, Levenshtein on date and ID), "
              "match probability >= 0.999:")
        print(f"{'agency':10} {'precision':>9} {'recall':>7} {'F1':>7}   vs Sijill F1")
        for r in rows:
            bp, br = baseline[r["agency"]]
            print(f"{r['agency']:10} {bp:9.4f} {br:7.4f} {2 * bp * br / (bp + br) if bp + br else 0:7.4f}   "
                  f"{r['f1']:.4f}")
    print("targets: overall F1 >= 0.98, precision of exact+probable >= 0.995, Latin-script loans F1 >= 0.95")


if __name__ == "__main__":
    main()
