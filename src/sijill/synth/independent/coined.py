"""Rare names coined for one world on the patterns Iraqi names are made on (فُعَيل, فعّال, فاعل, فعلان,
مفعول, فعّول; فعلة, فعيلة, فاعلة) from random three-letter roots: names no lexicon of known names holds,
as the rarest names of a real population are (data/patterns.csv, data/root_letters.csv)."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from importlib.resources import files
from itertools import pairwise

import numpy as np

from .data import Knowledge, NameList

_DIGRAPH_STARTS = frozenset("tkdsgcz")  # a letter that would read as th, kh, dh, sh, gh, ch, zh before h


def _rows(name: str) -> list[dict[str, str]]:
    with (files(__package__) / "data" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _root(letters: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """Three letters from three places of articulation, as Arabic roots are (no صضق, no طظغ), weighted by how
    often each letter occurs in names."""
    weights = [float(r["weight"]) for r in letters]
    while True:
        root = rng.choices(letters, weights, k=3)
        latin = [r["latin"] for r in root]
        if len({r["place"] for r in root}) == 3 and not any(
                a[-1] in _DIGRAPH_STARTS and b == "h" for a, b in pairwise(latin)):
            return root


def coin(sex: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` distinct (Arabic, ALA-LC) names of ``sex``."""
    patterns = [p for p in _rows("patterns.csv") if p["sex"] == sex]
    letters = _rows("root_letters.csv")
    out: dict[str, str] = {}
    while len(out) < count:
        pattern = rng.choices(patterns, [float(p["weight"]) for p in patterns])[0]
        arabic, latin = pattern["arabic"], pattern["latin"]
        for i, letter in enumerate(_root(letters, rng), 1):
            arabic = arabic.replace(str(i), letter["arabic"])
            latin = latin.replace(str(i), letter["latin"])
        out.setdefault(arabic, latin[0].upper() + latin[1:] if latin[0] != "ʻ" else "ʻ" + latin[1].upper() + latin[2:])
    return list(out.items())


def with_coined_names(k: Knowledge, seed: int, per_sex: int = 120, weight: float = 1.0) -> Knowledge:
    """The knowledge with ``per_sex`` coined Arabic names added to each given-name list (about 2 % of Arab men's
    names and 3 % of Arab women's)."""
    rng = random.Random(f"coined:{seed}")
    known = set(k.male.arabic) | set(k.female.arabic) | set(k.surnames.arabic)

    def extend(names: NameList, sex: str) -> NameList:
        coined = [(a, lat) for a, lat in coin(sex, per_sex + 40, rng) if a not in known][:per_sex]
        return replace(
            names,
            arabic=names.arabic + tuple(a for a, _ in coined),
            latin=names.latin + tuple(lat for _, lat in coined),
            passport=names.passport + ("",) * len(coined),
            weight=np.concatenate([names.weight, np.full(len(coined), weight)]),
            groups=names.groups + (frozenset({"arab"}),) * len(coined),
            kind=names.kind + ("given",) * len(coined),
        )

    return replace(k, male=extend(k.male, "M"), female=extend(k.female, "F"))
