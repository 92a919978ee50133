"""The hub's accuracy and speed on synthetic worlds, on seeds it was tuned on and seeds it never saw.

Generates a world (``--world first``: ``sijill.synth``; ``--world independent``: the second generator, with
its own error model, ``docs/synthetic-world-b.md``), encodes the registry and every agency's extract as their
holders would, runs the hub (`sijill.linkage.match`), and scores the hits against the world's truth per
agency: precision, recall and F1 of exact+probable, the share of true links that land in review and the
false pairs there. Then the registry against itself (``--dedupe``): the double enrolments of
``truth/duplicates.csv`` found, and the relatives sent to review.

Seeds are tuning seeds or evaluation seeds (``TUNING_SEEDS``): thresholds and rules may be set while looking at
the first only; the second are run to report. Each row says which it is.

    .venv/bin/python benchmarks/bench_linkage.py [--world first|independent] [--persons 100000] [--seeds 23,29]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import tempfile
import time
from pathlib import Path

from sijill.linkage import match
from sijill.pprl.format import TrustStore
from sijill.pprl.holder import encode_holders
from sijill.synth import generate_world


def generate_independent_world(*args):
    from sijill.synth.independent import generate_independent_world

    return generate_independent_world(*args)


GENERATORS = {"first": generate_world, "independent": generate_independent_world}
# Seeds thresholds, levels and guards may be tuned on; any other seed is for evaluation only.
TUNING_SEEDS = {"first": {11}, "independent": set(range(1001, 1010))}
AGENCIES = "courts,deaths,travel,loans,vehicles,pensions,payroll,insured"
TARGETS = "targets: F1 >= 0.98 overall, precision of exact+probable >= 0.995 per agency, Latin-script F1 >= 0.95, " \
          "names-and-birth-date F1 >= 0.95"


def encode_world(world: Path, root: Path, agencies: list[str]) -> dict[str, Path]:
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    files = {f["agency"]: world / f["path"] for f in manifest["files"] if f["kind"] == "extract"}
    return encode_holders(root, {"registry": world / "registry" / "members.csv",
                                      **{a: files[a] for a in agencies}}, workers=2)


def refs(package: Path) -> dict[str, str]:
    with open(f"{package}.map.csv", encoding="utf-8-sig") as f:
        return {r["ref"]: r["record_id"] for r in csv.DictReader(f) if r["record_id"]}


def registry_records(truth: list[dict]) -> dict[str, list[str]]:
    """person -> their registry records (two for a double enrolment)."""
    out: dict[str, list[str]] = {}
    for t in truth:
        if t["agency"] == "registry":
            out.setdefault(t["person_id"], []).append(t["record_id"])
    return out


def true_pairs(truth: list[dict], agency: str) -> tuple[set[tuple[str, str]], int]:
    """Every (registry record, partner record) of one person, and how many partner records have a member
    behind them (a partner record links to one registry record, so recall counts partner records)."""
    person = registry_records(truth)
    linked = [t for t in truth if t["agency"] == agency and t["person_id"] in person]
    return {(r, t["record_id"]) for t in linked for r in person[t["person_id"]]}, len(linked)


def score(world: Path, hits: Path, packages: dict[str, Path], agencies: list[str]) -> list[dict]:
    import pyarrow.parquet as pq

    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    reg = refs(packages["registry"])
    table = pq.read_table(hits, columns=["agency", "registry_ref", "partner_ref", "match_class"]).to_pylist()
    rows = []
    for agency in agencies:
        true, linked = true_pairs(truth, agency)
        par = refs(packages[agency])
        found: dict[str, set] = {"auto": set(), "review": set()}
        for h in table:
            if h["agency"] == agency and h["registry_ref"] in reg and h["partner_ref"] in par:
                key = "review" if h["match_class"] == "review" else "auto"
                found[key].add((reg[h["registry_ref"]], par[h["partner_ref"]]))
        tp = len(found["auto"] & true)
        p = tp / len(found["auto"]) if found["auto"] else 1.0
        r = len({partner for _, partner in found["auto"] & true}) / linked if linked else 1.0
        in_review = len({par_ref for _, par_ref in found["review"] & true})
        rows.append({"agency": agency, "true": linked, "auto": len(found["auto"]), "precision": p, "recall": r,
                     "f1": 2 * p * r / (p + r) if p + r else 0.0,
                     "true_in_review": in_review / linked if linked else 0.0,
                     "false_in_review": len(found["review"] - true)})
    return rows


def dedupe_scores(world: Path, hits: Path, package: Path) -> dict:
    """Double enrolments found by ``match --dedupe`` against truth/duplicates.csv; other pairs in review
    are mostly relatives (how many are siblings or parent and child is counted from persons.parquet)."""
    import pyarrow.parquet as pq

    with open(world / "truth" / "duplicates.csv", encoding="utf-8") as f:
        duplicates = {frozenset((d["record_id"], d["duplicate_record_id"])) for d in csv.DictReader(f)}
    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        person = {t["record_id"]: int(t["person_id"]) for t in csv.DictReader(f) if t["agency"] == "registry"}
    people = pq.read_table(world / "truth" / "persons.parquet", columns=["father_id", "mother_id"]).to_pydict()
    reg = refs(package)
    auto, review = set(), set()
    for h in pq.read_table(hits, columns=["registry_ref", "partner_ref", "match_class"]).to_pylist():
        if h["registry_ref"] not in reg or h["partner_ref"] not in reg:
            continue  # a dummy record
        pair = frozenset((reg[h["registry_ref"]], reg[h["partner_ref"]]))
        (review if h["match_class"] == "review" else auto).add(pair)

    def related(pair: frozenset) -> bool:
        a, b = (person[r] for r in pair)
        fa, fb = people["father_id"][a], people["father_id"][b]
        return (fa is not None and fa == fb) or b in (fa, people["mother_id"][a]) or \
            a in (fb, people["mother_id"][b])

    tp = len(auto & duplicates)
    p, r = (tp / len(auto) if auto else 1.0), tp / len(duplicates) if duplicates else 1.0
    false_review = review - duplicates
    return {"duplicates": len(duplicates), "auto": len(auto), "precision": p, "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0, "true_in_review": len(review & duplicates),
            "false_in_review": len(false_review), "relatives_in_review": sum(map(related, false_review))}


def baseline_scores(world: Path, agency: str) -> tuple[float, float]:
    from baseline_splink import link

    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    true, linked = true_pairs(truth, agency)
    found = link(world, agency)  # not one-to-one: a partner record may pair with both records of a member
    right = found & true
    recall = len({partner for _, partner in right}) / linked if linked else 1.0
    return (len(right) / len(found) if found else 1.0), recall


def profiles(world: Path) -> dict[str, str]:
    """Agency -> its error profile, as the world's manifest names it (the first world: the banks write Latin)."""
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    found = manifest.get("profiles") or {"loans": "latin: the banks write Latin script"}
    return {agency: text.partition(":")[0] if ":" in text[:24] else "" for agency, text in found.items()}


def prepare(workdir: Path, generator: str, persons: int, seed: int, agencies: list[str]) -> tuple[Path, dict, float]:
    """The world and its packages in ``workdir`` (made once; a second run with the same workdir reuses them)."""
    world = workdir / "world"
    seconds = 0.0
    if not (world / "manifest.json").is_file():
        t0 = time.perf_counter()
        GENERATORS[generator](world, persons, seed)
        seconds = time.perf_counter() - t0
    packages = {who: workdir / f"{who}.pkg" for who in ["registry", *agencies]}
    if not all((p / "manifest.json").is_file() for p in packages.values()):
        packages = encode_world(world, workdir, agencies)
    return world, packages, seconds


def run(workdir: Path, generator: str, persons: int, seed: int, agencies: list[str], baseline: bool) -> None:
    t0 = time.perf_counter()
    world, packages, synth_seconds = prepare(workdir, generator, persons, seed, agencies)
    t2 = time.perf_counter()
    trusted = TrustStore.from_dir(workdir / "hub" / "trusted")
    log = match(packages["registry"], [packages[a] for a in agencies], workdir / "hits.parquet", trusted, keep=True)
    t3 = time.perf_counter()
    rows = score(world, workdir / "hits.parquet", packages, agencies)
    t_dedupe = time.perf_counter()
    match(packages["registry"], [], workdir / "duplicates.parquet", trusted, dedupe=True)
    dedupe_seconds = time.perf_counter() - t_dedupe
    dedupe = dedupe_scores(world, workdir / "duplicates.parquet", packages["registry"])
    base = {a: baseline_scores(world, a) for a in agencies} if baseline else {}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kind = "tuning" if seed in TUNING_SEEDS[generator] else "evaluation"
    profile = profiles(world)
    print(f"\n{generator} world, {persons:,} persons, seed {seed} ({kind} seed); synth {synth_seconds:.1f} s, "
          f"synth+encode {t2 - t0:.1f} s, match {t3 - t2:.1f} s; peak memory {peak:,.0f} MB")
    print(f"{'agency':10} {'true':>6} {'auto':>6} {'precision':>9} {'recall':>7} {'F1':>7} {'true->review':>12} "
          f"{'false review':>12} {'candidates':>11} {'auto >=':>8}  profile")
    candidates = {s.agency: s.candidates for s in log.stages}
    auto_at = {s.agency: s.auto_threshold for s in log.stages}
    tp = sum(r["recall"] * r["true"] for r in rows)
    auto = sum(r["auto"] for r in rows)
    true = sum(r["true"] for r in rows)
    in_review = sum(r["true_in_review"] * r["true"] for r in rows)
    for r in rows:
        print(f"{r['agency']:10} {r['true']:6,} {r['auto']:6,} {r['precision']:9.4f} {r['recall']:7.4f} {r['f1']:7.4f} "
              f"{r['true_in_review']:12.1%} {r['false_in_review']:12,} {candidates.get(r['agency'], 0):11,} "
              f"{auto_at.get(r['agency']) or 0:8.4f}  {profile.get(r['agency'], '')}")
    p, rc = tp / auto, tp / true
    f1 = 2 * p * rc / (p + rc)
    print(f"{'overall':10} {true:6,} {auto:6,} {p:9.4f} {rc:7.4f} {f1:7.4f} {in_review / true:12.1%}")
    if base:
        print("\nplain Splink 5 in clear text (NameComparison, Levenshtein on date and ID), "
              "match probability >= 0.999:")
        print(f"{'agency':10} {'precision':>9} {'recall':>7} {'F1':>7}   vs Sijill F1")
        for r in rows:
            bp, br = base[r["agency"]]
            print(f"{r['agency']:10} {bp:9.4f} {br:7.4f} {2 * bp * br / (bp + br) if bp + br else 0:7.4f}   "
                  f"{r['f1']:.4f}")
    d = dedupe
    print(f"--dedupe on the registry ({dedupe_seconds:.1f} s): {d['duplicates']:,} double enrolments in the truth; "
          f"exact+probable {d['auto']:,}: precision {d['precision']:.4f}, recall {d['recall']:.4f}, F1 {d['f1']:.4f}; "
          f"review: {d['true_in_review']:,} true, {d['false_in_review']:,} other pairs "
          f"({d['relatives_in_review']:,} of them siblings or parent and child)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", choices=sorted(GENERATORS), default="first")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seeds", "--seed", default="23", help="comma-separated")
    parser.add_argument("--agencies", default=AGENCIES)
    parser.add_argument("--workdir", type=Path, help="keep the worlds and packages here and reuse them")
    parser.add_argument("--baseline", action="store_true", help="also run plain Splink in clear text")
    args = parser.parse_args()
    agencies = args.agencies.split(",")
    for seed in map(int, args.seeds.split(",")):
        if args.workdir:
            workdir = args.workdir / f"{args.world}-{args.persons}-{seed}"
            workdir.mkdir(parents=True, exist_ok=True)
            run(workdir, args.world, args.persons, seed, agencies, args.baseline)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            run(Path(tmp), args.world, args.persons, seed, agencies, args.baseline)
    print(TARGETS)


if __name__ == "__main__":
    main()
