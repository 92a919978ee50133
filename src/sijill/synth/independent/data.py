"""The knowledge the second world is built from, read from data/: names with their frequency, community and
ALA-LC form; governorates with their communities and the ways clerks write them; nicknames; titles; profiles."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
import yaml

GROUPS = ("arab", "kurd", "turkmen", "christian", "yazidi")
# Which lists a community draws its given names from (Kurds and Turkmen are mostly Muslim and give Arabic names
# as often as their own).
GIVEN_MIX = {
    "arab": {"arab": 1.0},
    "kurd": {"kurd": 0.55, "arab": 0.45},
    "turkmen": {"turkmen": 0.4, "arab": 0.6},
    "christian": {"christian": 1.0},
    "yazidi": {"yazidi": 0.6, "kurd": 0.4},
}


def _rows(name: str) -> list[dict[str, str]]:
    with (files(__package__) / "data" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class NameList:
    """One list of names (given names of one sex, or surnames): Arabic spelling, ALA-LC form, passport spelling."""

    arabic: tuple[str, ...]
    latin: tuple[str, ...]
    passport: tuple[str, ...]
    weight: np.ndarray
    groups: tuple[frozenset[str], ...]
    kind: tuple[str, ...]

    def sampler(self, group: str) -> tuple[np.ndarray, np.ndarray]:
        """(indices, probabilities) a community draws this list's names with."""
        mix = GIVEN_MIX[group] if self.kind[0] == "given" else {group: 1.0}
        p = np.zeros(len(self.arabic))
        for source, share in mix.items():
            mask = np.array([source in g for g in self.groups])
            if mask.any():
                w = np.where(mask, self.weight, 0.0)
                p += share * w / w.sum()
        keep = np.flatnonzero(p > 0)
        return keep, p[keep] / p[keep].sum()


def _names(name: str, kind: str | None = None) -> NameList:
    rows = _rows(name)
    return NameList(
        arabic=tuple(r["arabic"] for r in rows),
        latin=tuple(r["latin"] for r in rows),
        passport=tuple(r["passport"] for r in rows),
        weight=np.array([float(r["weight"]) for r in rows]),
        groups=tuple(frozenset(r["group"].split()) for r in rows),
        kind=tuple(kind or r["kind"] for r in rows),
    )


@dataclass(frozen=True)
class Governorates:
    arabic: tuple[str, ...]
    latin: tuple[str, ...]
    weight: np.ndarray
    poverty: np.ndarray  # a rough share of the poor, which weighs whose households the registry enrols
    groups: np.ndarray  # governorate x community shares
    arabic_variants: tuple[tuple[str, ...], ...]
    latin_variants: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Knowledge:
    male: NameList
    female: NameList
    surnames: NameList
    governorates: Governorates
    nicknames: dict[str, tuple[str, ...]]
    titles: dict[tuple[str, str], tuple[str, ...]]  # (sex, where) -> titles
    profiles: dict


@lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    gov = _rows("governorates.csv")
    nick: dict[str, list[str]] = {}
    for r in _rows("nicknames.csv"):
        nick.setdefault(r["formal"], []).append(r["nickname"])
    titles: dict[tuple[str, str], list[str]] = {}
    for r in _rows("titles.csv"):
        titles.setdefault((r["sex"], r["where"]), []).append(r["title"])
    with (files(__package__) / "data" / "profiles.yaml").open(encoding="utf-8") as f:
        profiles = yaml.safe_load(f)
    return Knowledge(
        male=_names("given_male.csv", "given"),
        female=_names("given_female.csv", "given"),
        surnames=_names("surnames.csv"),
        governorates=Governorates(
            arabic=tuple(r["arabic"] for r in gov),
            latin=tuple(r["latin"] for r in gov),
            weight=np.array([float(r["weight"]) for r in gov]),
            poverty=np.array([float(r["poverty"]) for r in gov]),
            groups=np.array([[float(r[g]) for g in GROUPS] for r in gov]),
            arabic_variants=tuple(tuple(r["arabic_variants"].split("|")) for r in gov),
            latin_variants=tuple(tuple(r["latin_variants"].split("|")) for r in gov),
        ),
        nicknames={k: tuple(v) for k, v in nick.items()},
        titles={k: tuple(v) for k, v in titles.items()},
        profiles=profiles,
    )
