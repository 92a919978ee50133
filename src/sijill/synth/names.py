"""Rank-weighted sampling of given names and surnames, by sex, ethnic group, birth cohort and region.

Names are handled as integer ids into one vocabulary (``NameBook.vocab``); strings are made only when a
file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog

MALE, FEMALE = 0, 1
ARAB, KURD, TURKMEN = 0, 1, 2
GROUPS = ("arab", "kurd", "turkmen")
OLD, MID, NEW = 0, 1, 2  # birth cohorts: before 1970, 1970-1995, after 1995
NO_NAME = -1

# How much an era tag weighs a name in each cohort (old, mid, new).
_ERA_FACTORS = {"old": (2.0, 1.0, 0.25), "any": (1.0, 1.0, 1.0), "new": (0.15, 1.0, 2.5)}


def cohort_of_year(year: np.ndarray) -> np.ndarray:
    return np.where(year < 1970, OLD, np.where(year <= 1995, MID, NEW)).astype(np.int8)


@dataclass(frozen=True)
class Distribution:
    ids: np.ndarray
    cdf: np.ndarray

    def sample(self, u: np.ndarray) -> np.ndarray:
        return self.ids[np.minimum(np.searchsorted(self.cdf, u, side="right"), len(self.ids) - 1)]


def _distribution(ids: list[int], weights: list[float]) -> Distribution:
    w = np.asarray(weights, dtype=np.float64)
    keep = w > 0
    cdf = np.cumsum(w[keep])
    return Distribution(np.asarray(ids, dtype=np.int32)[keep], cdf / cdf[-1])


class NameBook:
    """The vocabulary of canonical names and the distributions to draw them from."""

    def __init__(self) -> None:
        self.vocab: list[str] = []
        self._index: dict[str, int] = {}
        self.given: dict[tuple[int, int, int], Distribution] = {}
        for sex, file in ((MALE, "given_male.tsv"), (FEMALE, "given_female.tsv")):
            rows = catalog.tsv(file)
            ids = [self.id(r[0]) for r in rows]
            for group in range(3):
                for cohort in range(3):
                    weights = [float(r[2 + group]) * _ERA_FACTORS[r[1]][cohort] for r in rows]
                    self.given[sex, group, cohort] = _distribution(ids, weights)
        self.nicknames = {self.id(name): nicks.split("|") for name, nicks in catalog.tsv("nicknames.tsv")}
        self.surnames = self._surname_distributions()
        self.laqab_share = np.array(
            [
                float(r["share"])
                for r in sorted(catalog.table("surname_shares.csv"), key=lambda r: GROUPS.index(r["group"]))
            ]
        )

    def id(self, name: str) -> int:
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self.vocab)
            self.vocab.append(name)
        return found

    def _surname_distributions(self) -> dict[tuple[int, int], Distribution]:
        rows = catalog.tsv("surnames.tsv")
        out = {}
        for g, gov in enumerate(catalog.governorates()):
            regions = set(gov["regions"].split("|")) | {"all"}
            for group, label in enumerate(GROUPS):
                mine = [r for r in rows if r[2] == label]
                local = [r for r in mine if regions & set(r[3].split("|"))] or mine
                out[g, group] = _distribution([self.id(r[0]) for r in local], [float(r[1]) for r in local])
        return out

    def sample_given(
        self, rng: np.random.Generator, sex: np.ndarray, group: np.ndarray, cohort: np.ndarray
    ) -> np.ndarray:
        """One given name per person, drawn by sex, ethnic group and birth cohort."""
        key = (sex.astype(np.int32) * 9 + group.astype(np.int32) * 3 + cohort).astype(np.int32)
        return _sample_grouped(rng, key, {s * 9 + g * 3 + c: d for (s, g, c), d in self.given.items()})

    def sample_surname(self, rng: np.random.Generator, gov: np.ndarray, group: np.ndarray) -> np.ndarray:
        """A laqab for each family, or ``NO_NAME`` for the families whose records carry none."""
        key = (gov.astype(np.int32) * 3 + group).astype(np.int32)
        ids = _sample_grouped(rng, key, {g * 3 + k: d for (g, k), d in self.surnames.items()})
        has = rng.random(len(ids)) < self.laqab_share[group]
        return np.where(has, ids, NO_NAME).astype(np.int32)


def _sample_grouped(rng: np.random.Generator, key: np.ndarray, dists: dict[int, Distribution]) -> np.ndarray:
    u = rng.random(len(key))
    out = np.empty(len(key), dtype=np.int32)
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for chunk in np.split(order, bounds):
        if len(chunk):
            out[chunk] = dists[int(key[chunk[0]])].sample(u[chunk])
    return out
