"""What share of given names does a frequency attack re-identify from a package, default vs hardened?

The attacker holds one package (the hub's view: no key, no clear value) and a public list of Iraqi given
names with their frequencies (here the estimates in ``sijill/synth/data/given_*.tsv``, which are the kind of
list that is published). The package is the ration-card extract of a synthetic world, encoded with the
shipped schema, once with the default settings and once with ``encoding: {profile: hardened}``.

Attacks (each guesses a given name for every record; a guess is right when it equals the record's given
name once canonicalised):

- tokens: rank the exact-token values of the given name by frequency; the i-th most frequent token is
  taken to be the i-th most frequent public name (tried on the normalised, canonical and skeleton tokens).
  "by sex": the same within each value of the sex token, against the male and the female list (the
  attacker is assumed to know which sex token is which).
- Bloom, equal: the same ranking on whole Bloom filters (equal names give equal filters unless BLIP).
- Bloom, clustered: on a sample, filters within a similarity threshold are grouped (densest first), groups
  ranked by size within each sex and named by rank. The threshold is the best in hindsight: an upper
  bound on the attacker.
- blocking given+year: block tokens of (given-name skeleton, birth year) ranked against the product of the
  public name list and the file's own birth-year distribution (generous: census age pyramids are public);
  a guess is right when its skeleton is the record's (a skeleton may stand for two close names).
- within salt groups: when the given name is salted (``hardening.salt_given_name``), equal names share a
  token or filter only within one salt group, which the package shows (``given_name_salt``; for the tokens
  salted with the birth date, ``given_name_dated_salt``); the ranking is run within each group and sex.
- Bloom bit counts: the number of set bits of each filter (it tells a name's length), ranked within each sex.
- blocking within groups: each blocking token of the given name with other fields, ranked within the
  groups of those fields' own tokens (``BLOCK_GROUPS``).
- "exact frequencies": tokens, clusters and groups ranked against the file's own name frequencies, as if
  the public list were perfect: the worst case, bounding what better statistics would give an attacker.
- the other name parts: the father's and grandfather's names (male list) and the mother's first name
  (female list), their own tokens ranked.

Three encodings are attacked: the default profile, the hardened one, and the default without the salt
(``unsalted``: the figures the salt replaced).

    .venv/bin/python benchmarks/frequency_attack.py [--persons 100000] [--seed 5] [--sample 4000]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from sijill import identity
from sijill.pprl.format import Package, TrustStore, open_package
from sijill.pprl.format.schema import example_schema_data, schema_from_dict
from sijill.pprl.holder import HolderKeys, encode, init_keys
from sijill.synth import generate_world
from sijill.tabular import read_batches

GIVEN = "الاسم"
BIRTH = "تاريخ الميلاد"
SEX = "الجنس"


def _sex(raw: str | None) -> str | None:
    try:
        return identity.sex(raw)
    except identity.IdentityError:
        return None


def public_lists() -> dict[str, list[tuple[str, float]]]:
    """Given names (canonical) with their published relative frequency, most frequent first: for men
    ("M"), women ("F") and both ("*")."""
    lists: dict[str, Counter] = {"M": Counter(), "F": Counter(), "*": Counter()}
    data = Path(sys.modules["sijill.synth"].__file__).parent / "data"
    for sex, file in (("M", "given_male.tsv"), ("F", "given_female.tsv")):
        with open(data / file, encoding="utf-8") as f:
            rows = [ln.rstrip("\n").split("\t") for ln in f if ln.strip() and not ln.startswith("#")]
        total = sum(float(r[2]) for r in rows)
        for name, _era, arab, *_ in rows:
            lists[sex][identity.canonical(name)] += float(arab) / total
            lists["*"][identity.canonical(name)] += float(arab) / total / 2
    return {k: v.most_common() for k, v in lists.items()}


_TIES = np.random.default_rng(0)


def ranked(values) -> list:
    """Distinct values, most frequent first; equal counts in random order (no hidden tie-breaking)."""
    counts = Counter(v for v in values if v is not None)
    distinct = list(counts)
    _TIES.shuffle(distinct)
    return sorted(distinct, key=lambda v: -counts[v])


def rank_attack(values: list, public: list[tuple[str, float]]) -> list[str | None]:
    """The i-th most frequent value is named after the i-th most frequent public name."""
    order = ranked(values)
    names = {v: public[i][0] for i, v in enumerate(order[: len(public)])}
    return [names.get(v) for v in values]


def by_sex(attack_one, values: list, sexes: list[str | None], lists: dict) -> list[str | None]:
    """Run a ranking attack within each sex, against that sex's list."""
    guesses: list[str | None] = [None] * len(values)
    for sex in ("M", "F"):
        idx = [i for i, s in enumerate(sexes) if s == sex]
        for i, g in zip(idx, attack_one([values[i] for i in idx], lists[sex]), strict=True):
            guesses[i] = g
    return guesses


def share(guesses, truth) -> float:
    pairs = [(g, t) for g, t in zip(guesses, truth, strict=True) if t]
    return sum(g == t for g, t in pairs) / len(pairs)


def _bits(blooms: list[bytes]) -> np.ndarray:
    return np.unpackbits(np.frombuffer(b"".join(blooms), np.uint8).reshape(len(blooms), -1), axis=1)


def centroids(blooms: list[bytes], threshold: float) -> np.ndarray:
    """Centres of the dense groups of a sample: filters within ``threshold`` of a dense point, densest first."""
    x = _bits(blooms).astype(np.float32)
    near = 1 - (x @ (1 - x).T + (1 - x) @ x.T) / x.shape[1] >= threshold
    free = np.ones(len(blooms), bool)
    centres = []
    for i in np.argsort(-near.sum(axis=1)):
        if free[i]:
            members = np.flatnonzero(near[i] & free)
            free[members] = False
            if len(members) >= 2:
                centres.append(x[members].mean(axis=0))
    return np.array(centres, dtype=np.float32)


def nearest(blooms: list[bytes | None], centres: np.ndarray, threshold: float) -> list[int | None]:
    """The nearest centre of every filter (expected share of agreeing bits), if within ``threshold``."""
    out: list[int | None] = [None] * len(blooms)
    idx = [i for i, b in enumerate(blooms) if b is not None]
    for start in range(0, len(idx), 10_000):
        chunk = idx[start : start + 10_000]
        x = _bits([blooms[i] for i in chunk]).astype(np.float32)
        agree = (x @ centres.T + (1 - x) @ (1 - centres).T) / x.shape[1]
        best = agree.argmax(axis=1)
        for i, c, a in zip(chunk, best.tolist(), agree.max(axis=1).tolist(), strict=True):
            out[i] = c if a >= threshold - 0.05 else None
    return out


def cluster_attack(blooms, truth, sexes, lists, sample: int, rng, exact: bool) -> float:
    """Centres from a sample's dense groups; every record goes to its nearest centre; the centres are
    ranked by how many records they hold (within each sex) and named by rank. Best share over thresholds."""
    pool = [i for i in rng.permutation(len(blooms)) if blooms[i] is not None][:sample]
    if exact:  # the file's own frequencies, per sex
        lists = {s: [(n, 0) for n in ranked(t for t, x in zip(truth, sexes, strict=True) if x == s)]
                 for s in ("M", "F")}
    best = 0.0
    for threshold in (0.80, 0.85, 0.90, 0.94, 0.98):
        centres = centroids([blooms[i] for i in pool], threshold)
        if not len(centres):
            continue
        labels = nearest(blooms, centres, threshold)
        best = max(best, share(by_sex(rank_attack, labels, sexes, lists), truth))
    return best


def within_groups(values: list, groups: list, sexes: list[str | None], lists: dict) -> list[str | None]:
    """The ranking attack within each group of records that the package shows to share something (a salt
    token, the tokens of other fields), and within each sex: what salting leaves an attacker."""
    members: dict = {}
    for i, (g, s) in enumerate(zip(groups, sexes, strict=True)):
        if s in ("M", "F") and values[i] is not None:
            members.setdefault((s, g), []).append(i)
    guesses: list[str | None] = [None] * len(values)
    for (sex, _), idx in members.items():
        for i, g in zip(idx, rank_attack([values[i] for i in idx], lists[sex]), strict=True):
            guesses[i] = g
    return guesses


def blocking_attack(tokens: list, truth_skeletons: list[str | None], years: list[int | None], public) -> float:
    year_share = Counter(y for y in years if y)
    total = sum(year_share.values())
    predicted = sorted(((p * year_share[y] / total, identity.skeleton(n)) for n, p in public for y in year_share),
                       reverse=True)
    order = ranked(tokens)
    names = {v: predicted[i][1] for i, v in enumerate(order[: len(predicted)])}
    return share([names.get(t) for t in tokens], truth_skeletons)


# Blocking tokens of the given name with other fields, and the package columns that show those other fields
# (their own tokens): within one group of those, the blocking token stands for the given name.
BLOCK_GROUPS = {
    "block_given_father_grandfather": ("father_name_skeleton", "grandfather_name_skeleton"),
    "block_given_father_year": ("father_name_skeleton", "birth_year"),
    "block_given_mother_year": ("mother_first", "birth_year"),
    "block_given_surname_year": ("surname_key", "birth_year"),
}


def attack(package: Package, truth, sexes, years, lists, sample: int, rng) -> dict[str, float | None]:
    table = package.read()
    columns = set(table.column_names)
    token_columns = [c for c in ("given_name", "given_name_canonical", "given_name_skeleton", "given_name_rasm")
                     if c in columns]
    tokens = {c: table[c].to_pylist() for c in token_columns}
    # The given name's tokens salted with the birth date, in groups of one birth date (its salt's token).
    dated = {c: table[c].to_pylist() for c in ("given_name_dated_canonical", "given_name_dated_skeleton",
                                               "given_name_dated_rasm") if c in columns}
    dates = table["given_name_dated_salt"].to_pylist() if "given_name_dated_salt" in columns else []
    own = {s: [(n, 0) for n in ranked(t for t, x in zip(truth, sexes, strict=True) if x == s)] for s in "MF"}

    def best(values_list, lists_, stratified: bool) -> float | None:
        if not values_list:
            return None
        run = (lambda v: by_sex(rank_attack, v, sexes, lists_)) if stratified else \
            (lambda v: rank_attack(v, lists_["*"]))
        return max(share(run(v), truth) for v in values_list)

    blooms = table["given_name_bloom"].to_pylist()
    weights = [None if b is None else int(np.unpackbits(np.frombuffer(b, np.uint8)).sum()) for b in blooms]
    # The groups a salted given name is compared within (one group, the whole file, when not salted).
    salts = table["given_name_salt"].to_pylist() if "given_name_salt" in columns else [0] * table.num_rows

    def within(lists_) -> float:
        views = [(v, salts) for v in [*tokens.values(), blooms]] + [(v, dates) for v in dated.values()]
        if "given_name_dated_bloom" in columns:
            views.append((table["given_name_dated_bloom"].to_pylist(), dates))
        return max(share(within_groups(v, groups, sexes, lists_), truth) for v, groups in views)

    def blocks(lists_) -> float | None:
        found = [share(within_groups(table[b].to_pylist(), list(zip(*(table[c].to_pylist() for c in by),
                                                                    strict=True)), sexes, lists_), truth)
                 for b, by in BLOCK_GROUPS.items() if b in columns and set(by) <= columns]
        return max(found) if found else None

    skeletons = [identity.skeleton(t) if t else None for t in truth]
    return {
        "tokens": best([*tokens.values(), *dated.values()], lists, False),
        "tokens_sex": best([*tokens.values(), *dated.values()], lists, True),
        "bloom_equal": best([blooms], lists, True),
        "bloom_clustered": cluster_attack(blooms, truth, sexes, lists, sample, rng, exact=False),
        "bloom_weight": best([weights], lists, True),
        "within_salt": within(lists),
        # n/a when the cycle's blocking has no given name + birth year token (the defaults pair three fields)
        "blocking": (blocking_attack(table["block_given_year"].to_pylist(), skeletons, years, lists["*"])
                     if "block_given_year" in columns else None),
        "blocking_within": blocks(lists),
        "tokens_exact": best([*tokens.values(), *dated.values()], own, True),
        "bloom_clustered_exact": cluster_attack(blooms, truth, sexes, lists, sample, rng, exact=True),
        "within_salt_exact": within(own),
        "blocking_within_exact": blocks(own),
    }


# The other name parts: (token column, clear column, list): the father's and grandfather's names follow the
# male given-name list; the mother's first name the female one.
OTHER_PARTS = (("father_name_canonical", "اسم الاب", "M"), ("grandfather_name_canonical", "اسم الجد", "M"),
               ("mother_first", "اسم الام", "F"))


def other_parts(package: Package, clear_rows: list[dict | None], lists: dict) -> dict[str, float | None]:
    """The ranking attack on the other name parts' own tokens, against the male or the female list."""
    table = package.read()
    out: dict[str, float | None] = {}
    for column, clear, sex in OTHER_PARTS:
        if column not in table.column_names:
            out[column] = None
            continue
        truth = []
        for r in clear_rows:
            value = identity.canonical(r[clear]) if r and r[clear] else ""
            truth.append(value.split(" ", 1)[0] if value else None)
        out[column] = share(rank_attack(table[column].to_pylist(), lists[sex]), truth)
    return out


# The encodings attacked: today's default and hardened profiles, and the default before its given name was
# salted (the figures it replaces).
PROFILES = {"default": {"profile": "default"}, "hardened": {"profile": "hardened"},
            "unsalted": {"profile": "default", "hardening": {"salt_given_name": False}}}
LABELS = {"tokens": "tokens, ranked", "tokens_sex": "tokens, ranked by sex",
          "bloom_equal": "Bloom equal, ranked by sex", "bloom_clustered": "Bloom clustered, by sex",
          "bloom_weight": "Bloom bit counts, ranked by sex",
          "within_salt": "tokens or filters, within salt groups",
          "blocking": "blocking given+year",
          "blocking_within": "blocking tokens, within other fields' groups",
          "tokens_exact": "tokens, exact frequencies",
          "bloom_clustered_exact": "Bloom clustered, exact freq.",
          "within_salt_exact": "within salt groups, exact freq.",
          "blocking_within_exact": "blocking within groups, exact freq."}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sample", type=int, default=4000, help="records clustered in the Bloom attack")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    lists = public_lists()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        generate_world(root / "world", persons=args.persons, seed=args.seed)
        source_path = root / "world" / "agencies" / "ration.parquet"
        init_keys(root / "keys", "ration")
        keys = HolderKeys.load(root / "keys")
        trust = TrustStore.from_dir(root / "keys")
        base = example_schema_data("ration")
        results, counts, others = {}, {}, {}
        for profile, encoding in PROFILES.items():
            schema = schema_from_dict({**base, "encoding": encoding, "package": {"dummy_share": 0}})
            source = read_batches(source_path)
            result = encode(source.batches, schema, keys, root / f"{profile}.pkg")
            with open(result.map, encoding="utf-8-sig") as f:
                refs = {m["ref"]: m["record_id"] for m in csv.DictReader(f) if m["dummy"] == "false"}
            package = open_package(result.package, trust)
            clear = {r["رقم السجل"]: r for r in pq.read_table(source_path).to_pylist()}
            order = [refs.get(ref) for ref in package.read(["ref"])["ref"].to_pylist()]
            truth = [identity.canonical(clear[o][GIVEN]) if o and clear[o][GIVEN] else None for o in order]
            sexes = [_sex(clear[o][SEX]) if o else None for o in order]
            years = []
            for o in order:
                try:
                    years.append(identity.parse_date(clear[o][BIRTH]).year if o else None)
                except identity.IdentityError:
                    years.append(None)
            results[profile] = attack(package, truth, sexes, years, lists, args.sample, rng)
            others[profile] = other_parts(package, [clear[o] if o else None for o in order], lists)
            counts[profile] = sum(1 for t in truth if t)
        top = Counter(t for t in truth if t).most_common(1)[0]
        print(f"package: ration-card extract of a synthetic world of {args.persons:,} persons, "
              f"{counts['default']:,} records with a given name ({time.perf_counter() - started:.0f} s)")
        print(f"public lists: {len(lists['M'])} male and {len(lists['F'])} female given names; baseline "
              f"(everyone is '{top[0]}'): {top[1] / counts['default']:.1%} of records")
        heads = "".join(f"{p:>12}" for p in PROFILES)
        print(f"{'attack':<44}{heads}")
        for key, label in LABELS.items():
            cells = [f"{results[p][key]:.1%}" if results[p][key] is not None else "n/a" for p in results]
            print(f"{label:<44}" + "".join(f"{c:>12}" for c in cells))
        public = [max(v for k, v in results[p].items() if v is not None and "exact" not in k) for p in results]
        print(f"{'best with the public lists':<44}" + "".join(f"{v:>12.1%}" for v in public)
              + "   (share of records whose given name is found)")
        print("other name parts, their own tokens ranked against the male / female list:")
        for column, _, sex in OTHER_PARTS:
            cells = [f"{others[p][column]:.1%}" if others[p][column] is not None else "n/a" for p in others]
            print(f"{'  ' + column + ' (' + sex + ')':<44}" + "".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    main()
