"""Latin spellings against their Arabic names, without the lexicon: the shares of tests/identity/romanisation_cases.csv.

Per convention: the share of Latin spellings whose skeleton equals the Arabic one (the exact token the hub
compares), and whose Bloom input (``identity.bloom_text``) has a bigram Dice >= 0.7 and >= 0.85 with the
Arabic one (the hub's Dice bands). Then what the skeleton-space Bloom input costs: distinct names reaching
the bands, and Arabic spelling noise (synth's dot, keyboard and orthographic variants) against the canonical
Arabic form the Bloom filter was made of before.

    .venv/bin/python benchmarks/bench_romanise.py
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from pathlib import Path

from sijill import identity
from sijill.identity import lexicon
from sijill.pprl.holder.tokens import qgrams
from sijill.synth import spelling

TABLE = Path(__file__).parents[1] / "tests" / "identity" / "romanisation_cases.csv"


def dice(a: str, b: str) -> float:
    ga, gb = qgrams(a, 2), qgrams(b, 2)
    return 2 * len(ga & gb) / (len(ga) + len(gb)) if ga and gb else 0.0


def _bands(pairs, form) -> tuple[float, float]:
    scores = [dice(form(a), form(b)) for a, b in pairs]
    return sum(d >= 0.7 for d in scores) / len(scores), sum(d >= 0.85 for d in scores) / len(scores)


def spellings_table(rows: list[dict]) -> None:
    print(f"{'set':9} {'convention':10} {'rows':>5} {'key =':>6} {'Dice>=0.7':>10} {'Dice>=0.85':>11}")
    for which in ("tuning", "held-out", "all"):
        groups: dict[str, list] = defaultdict(list)
        for r in rows:
            if which in ("all", r["set"]):
                groups[r["convention"]].append(r)
                groups["all"].append(r)
        for convention in [*sorted(c for c in groups if c != "all"), "all"]:
            group = groups[convention]
            key = sum(identity.skeleton(r["latin"]) == identity.skeleton(r["arabic"]) for r in group) / len(group)
            low, high = _bands([(r["latin"], r["arabic"]) for r in group], identity.bloom_text)
            if which == "all" or convention == "all":
                print(f"{which:9} {convention:10} {len(group):5} {key:6.2f} {low:10.2f} {high:11.2f}")


def costs(rows: list[dict]) -> None:
    arabic = sorted({r["arabic"] for r in rows})
    others = [(r["latin"], a) for r in rows for a in arabic if identity.canonical(a) != identity.canonical(r["arabic"])]
    low, high = _bands(others, identity.bloom_text)
    print(f"\nLatin spelling vs the {len(arabic) - 1} other Arabic names of the table ({len(others):,} pairs): "
          f"Dice >= 0.7 {low:.4f}, >= 0.85 {high:.4f}")
    names = sorted(set(lexicon.latin_names().values()))
    distinct = [(a, b) for a, b in itertools.combinations(names, 2) if identity.canonical(a) != identity.canonical(b)]
    apart = [(a, b) for a, b in distinct if identity.skeleton(a) != identity.skeleton(b)]
    print("\nArabic vs Arabic, Bloom input: canonical form (before) | bloom_text (now); Dice >= 0.7 / >= 0.85")
    for label, pairs in (("distinct lexicon names", distinct), ("  of which skeletons differ", apart)):
        print(f"{label:30} {len(pairs):8,}  {_both(pairs, 4)}")
    for kind, variants in (("dots", spelling.dot_variants), ("keyboard", spelling.keyboard_variants),
                           ("orthographic", spelling.spelling_variants)):
        pairs = [(a, v) for a in names for v in variants(a)]
        print(f"{'same name, ' + kind + ' variant':30} {len(pairs):8,}  {_both(pairs, 3)}")


def _both(pairs, digits: int) -> str:
    before, now = _bands(pairs, identity.canonical), _bands(pairs, identity.bloom_text)
    return " | ".join(f"{low:.{digits}f} / {high:.{digits}f}" for low, high in (before, now))


def main() -> None:
    rows = [r for r in csv.DictReader(TABLE.read_text(encoding="utf-8").splitlines())
            if r["expect"] in ("key", "dice", "miss")]
    spellings_table(rows)
    costs(rows)


if __name__ == "__main__":
    main()
