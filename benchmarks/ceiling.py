"""The ceiling of one agency's extract: the best a linker could do in clear text, taught by the truth.

A target is only worth chasing if the data allow it. This reads a world's registry and one agency's extract
in clear (the identity layer's parsing, so titles, compound names and default dates are read as the hub's
holders read them), pairs each partner record with every registry record that shares the first letters of
its given and father's names or of its father's and grandfather's names (a blocking far wider than the
hub's), and describes each pair by clear-text features: Jaro-Winkler of each name part, equal canonical
forms (variants and nicknames), equal dotless letters and equal skeletons, the years apart, whether a date
is known to its year only, sex, governorate, how common the given and father's names are, and how many
registry records the partner record meets. A gradient boosted classifier learns from the truth, five folds
grouped by partner record, so that each record is scored by a model that never saw it; each partner record
keeps its best pair.

It prints the best F1 at any threshold and the best with precision >= 0.995 (the hub's per-agency bar). It
is a reference, not a proof: a better classifier or better features could do more; but a linker that sees
only encodings, and learns without the truth, should not be expected to beat it by much. With a few hundred
true links the bar allows one false pair, so one confident namesake near the top can pull the second figure
far down. For Arabic-script extracts: the blocking reads Arabic letters, and a Latin extract's names need
the romanisation model (the hub beats this "ceiling" on world B's bank extract, 0.97 against 0.86).

    .venv/bin/python benchmarks/ceiling.py --workdir /tmp/w/base/independent-100000-1001 --agency deaths
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import jellyfish
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from bench_linkage import true_pairs
from sijill import identity
from sijill.tabular import read_batches

PARTS = ("given", "father", "grandfather", "surname")
PRECISION_BAR = 0.995


def _or_none(parse, value):
    """The parsed value, or None for a blank or unreadable one (the hub reads those as missing too)."""
    try:
        return parse(value) if value else None
    except identity.IdentityError:
        return None


def clear_records(world: Path, entry: dict) -> list[dict]:
    """The file's records as the holders read them: parsed name chain, date, sex, governorate."""
    roles = {c["name"]: c["role"] for c in entry["columns"]}
    out = []
    for batch in read_batches(world / entry["path"]).batches:
        for rec in batch.to_pylist():
            r = {role: rec.get(col) for col, role in roles.items()}
            try:
                chain = identity.parse_name(r.get("full_name"), given=r.get("given"), father=r.get("father"),
                                            grandfather=r.get("grandfather"), surname=r.get("surname"))
            except identity.IdentityError:
                continue
            parts = {p: getattr(chain, p) for p in PARTS}
            out.append({"id": str(r.get("record_id")), **parts,
                        **{f"{p}_rasm": identity.rasm(v) if v else None for p, v in parts.items()},
                        **{f"{p}_skel": identity.skeleton(v) if v else None for p, v in parts.items()},
                        **{f"{p}_canon": identity.canonical(v) if v else None for p, v in parts.items()},
                        "date": _or_none(identity.parse_date, r.get("birth_date")),
                        "sex": _or_none(identity.sex, r.get("sex")),
                        "governorate": _or_none(identity.governorate, r.get("governorate"))})
    return out


def _keys(r: dict) -> list[tuple]:
    """Wide blocking: the first two dotless letters of two name parts, either pair."""
    g, f, gf = (r[f"{p}_rasm"] for p in ("given", "father", "grandfather"))
    keys = []
    if g and f:
        keys.append(("gf", g[:2], f[:2]))
    if f and gf:
        keys.append(("fg", f[:2], gf[:2]))
    return keys


def _year_only(d) -> bool:
    return d is not None and (d.precision == "year" or d.registration_default)


def features(a: dict, b: dict, given_freq: Counter, father_freq: Counter, met: int) -> list[float]:
    row = []
    for p in PARTS:
        x, y = a[p], b[p]
        if not x or not y:
            row += [-1.0, -1.0, -1.0, -1.0]
            continue
        row += [jellyfish.jaro_winkler_similarity(x, y), float(a[f"{p}_canon"] == b[f"{p}_canon"]),
                float(a[f"{p}_rasm"] == b[f"{p}_rasm"]), float(a[f"{p}_skel"] == b[f"{p}_skel"])]
    da, db = a["date"], b["date"]
    if da and db:
        exact = float(str(da) == str(db) and not _year_only(da) and not _year_only(db))
        row += [abs(da.year - db.year), exact, float(_year_only(da) or _year_only(db))]
    else:
        row += [-1.0, -1.0, -1.0]
    row.append(-1.0 if not a["sex"] or not b["sex"] else float(a["sex"] == b["sex"]))
    row.append(-1.0 if not a["governorate"] or not b["governorate"] else float(a["governorate"] == b["governorate"]))
    row += [math.log1p(given_freq[a["given_skel"]]), math.log1p(father_freq[a["father_skel"]]), math.log1p(met)]
    return row


def ceiling(workdir: Path, agency: str) -> dict:
    world = workdir / "world"
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    entries = {f.get("agency"): f for f in manifest["files"]}
    registry, partner = clear_records(world, entries["registry"]), clear_records(world, entries[agency])
    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        true, linked = true_pairs(list(csv.DictReader(f)), agency)
    given_freq = Counter(r["given_skel"] for r in registry)
    father_freq = Counter(r["father_skel"] for r in registry)
    index = defaultdict(list)
    for i, r in enumerate(registry):
        for k in _keys(r):
            index[k].append(i)
    X, y, groups, pairs = [], [], [], []
    for j, b in enumerate(partner):
        met = {i for k in _keys(b) for i in index.get(k, ())}
        for i in met:
            a = registry[i]
            X.append(features(a, b, given_freq, father_freq, len(met)))
            y.append((a["id"], b["id"]) in true)
            groups.append(j)
            pairs.append((a["id"], b["id"]))
    X, y, groups = np.array(X), np.array(y), np.array(groups)
    blocked = len({p for p, t in zip(pairs, y, strict=True) if t})
    scores = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(X, y, groups):
        model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=1)
        model.fit(X[train], y[train])
        scores[test] = model.predict_proba(X[test])[:, 1]
    best: dict[int, int] = {}
    for k, g in enumerate(groups):  # one-to-one: each partner record keeps its best pair
        if g not in best or scores[k] > scores[best[g]]:
            best[g] = k
    kept = sorted(best.values(), key=lambda k: -scores[k])
    tp = np.cumsum([y[k] for k in kept])
    n = np.arange(1, len(kept) + 1)
    precision, recall = tp / n, tp / linked
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    at_bar = np.flatnonzero(precision >= PRECISION_BAR)
    k_bar = at_bar[np.argmax(f1[at_bar])] if len(at_bar) else None
    k_best = int(np.argmax(f1))
    return {"agency": agency, "true_links": linked, "pairs": len(y), "true_pairs_blocked": blocked,
            "best_f1": float(f1[k_best]), "best_precision": float(precision[k_best]),
            "best_recall": float(recall[k_best]),
            "f1_at_bar": float(f1[k_bar]) if k_bar is not None else 0.0,
            "recall_at_bar": float(recall[k_bar]) if k_bar is not None else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, nargs="+",
                        help="bench_linkage.py's per-seed directories (each holds world/)")
    parser.add_argument("--agency", default="deaths")
    args = parser.parse_args()
    print(f"{'world':40} {'agency':8} {'true':>5} {'blocked':>7} {'pairs':>8} {'best F1':>8} {'(P, R)':>14} "
          f"{'F1 at P>=' + str(PRECISION_BAR):>13} {'R there':>7}")
    for workdir in args.workdir:
        c = ceiling(workdir, args.agency)
        print(f"{workdir.name:40} {c['agency']:8} {c['true_links']:5,} {c['true_pairs_blocked']:7,} {c['pairs']:8,} "
              f"{c['best_f1']:8.4f} ({c['best_precision']:.3f}, {c['best_recall']:.3f}) {c['f1_at_bar']:13.4f} "
              f"{c['recall_at_bar']:7.4f}")


if __name__ == "__main__":
    main()
