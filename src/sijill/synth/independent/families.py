"""Three generations of Iraqi families: a grandfather's lineage (his sons, their wives from other lineages,
their children), so siblings share a father, a grandfather, a surname and a mother, cousins share a
grandfather, and a first son is often named after his father's father."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np

from . import arabic
from .data import GROUPS, Knowledge

TODAY = dt.date(2025, 10, 1)
CARD_START = dt.date(2016, 1, 1)  # the unified national card (البطاقة الوطنية) was issued from 2016
_SURNAME_KEPT = {"arab": 0.7, "kurd": 0.5, "turkmen": 0.6, "christian": 0.85, "yazidi": 0.35}
_NAMED_AFTER_GRANDFATHER = 0.3
_TWINS = 0.015
_MARRIED = 0.85
_MOVED = 0.06  # households displaced or moved to another governorate (2014-2017 displacement, work)
_CHUNK = 4000
_CARD_SLIP = 0.04  # cards with a name keyed wrong from the paper civil register


@dataclass
class Population:
    """One array per attribute; row i is person i."""

    sex: np.ndarray  # "M" / "F"
    birth: np.ndarray  # true birth date (ordinal)
    registered_birth: np.ndarray  # what the civil record says (1 July when only the year was known)
    birth_is_default: np.ndarray
    death: np.ndarray  # ordinal, 0 if alive
    given: np.ndarray  # index into the name list of the person's sex
    father_name: np.ndarray  # index into the male list
    grandfather_name: np.ndarray
    surname: np.ndarray  # index into surnames, -1 when the family writes none
    mother_given: np.ndarray  # index into the female list
    mother_father: np.ndarray  # index into the male list
    father_id: np.ndarray  # -1 when the father is not in the world
    mother_id: np.ndarray
    spouse_id: np.ndarray
    group: np.ndarray  # index into GROUPS
    governorate: np.ndarray
    household: np.ndarray
    twin: np.ndarray
    national_id: np.ndarray  # str, "" without a national card
    card_names: dict[int, tuple[int, str]]  # person -> (0 given, 1 father, 2 grandfather; as the card misspells it)

    def __len__(self) -> int:
        return len(self.sex)


class _Builder:
    def __init__(self, rng: np.random.Generator, k: Knowledge) -> None:
        self.rng, self.k = rng, k
        self.cols: dict[str, list] = {c: [] for c in Population.__dataclass_fields__ if c not in
                                      ("registered_birth", "birth_is_default", "death", "national_id", "card_names")}
        self.samplers: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.draws: dict[tuple[str, str], list[int]] = {}
        self.households = 0
        self.free_women: dict[int, list[int]] = {}  # birth year -> unmarried adult daughters

    def name(self, kind: str, group: str) -> int:
        """A name drawn with its frequency in ``group`` (drawn in chunks: one call to numpy per few thousand)."""
        key = (kind, group)
        pool = self.draws.get(key)
        if not pool:
            if key not in self.samplers:
                source = {"M": self.k.male, "F": self.k.female, "S": self.k.surnames}[kind]
                self.samplers[key] = source.sampler(group)
            idx, p = self.samplers[key]
            pool = self.draws[key] = list(self.rng.choice(idx, size=_CHUNK, p=p))
        return int(pool.pop())

    def add(self, **person) -> int:
        for c, v in person.items():
            self.cols[c].append(v)
        return len(self.cols["sex"]) - 1

    def day_in(self, year: int) -> int:
        return dt.date(year, 1, 1).toordinal() + int(self.rng.integers(0, 365))

    def founder(self, sex: str, year: int, group: str, gov: int, surname: int, household: int) -> int:
        return self.add(sex=sex, birth=self.day_in(year), given=self.name(sex, group),
                        father_name=self.name("M", group), grandfather_name=self.name("M", group),
                        surname=surname, mother_given=self.name("F", group), mother_father=self.name("M", group),
                        father_id=-1, mother_id=-1, spouse_id=-1, group=GROUPS.index(group), governorate=gov,
                        household=household, twin=False)

    def children(self, father: int, mother: int, group: str, household: int, limit: int) -> list[int]:
        c, rng = self.cols, self.rng
        mother_year = dt.date.fromordinal(c["birth"][mother]).year
        year = mother_year + int(rng.integers(18, 25))
        wanted = int(rng.poisson(4.5 if mother_year < 1965 else 3.2)) + 1
        kids: list[int] = []
        names_used: set[tuple[str, int]] = set()
        while len(kids) < wanted and year <= TODAY.year and year - mother_year <= 44 and len(c["sex"]) < limit:
            twins = 2 if rng.random() < _TWINS else 1
            birth = self.day_in(year)
            if birth > TODAY.toordinal():
                break
            pair = None
            if twins == 2 and group == "arab" and rng.random() < 0.4:
                pair = [("M", self.k.male.arabic.index("حسن")), ("M", self.k.male.arabic.index("حسين"))]
            for t in range(twins):
                sex = pair[t][0] if pair else ("M" if rng.random() < 0.513 else "F")
                if pair:
                    given = pair[t][1]
                elif sex == "M" and not any(c["sex"][x] == "M" for x in kids) \
                        and rng.random() < _NAMED_AFTER_GRANDFATHER:
                    given = c["father_name"][father]
                else:
                    given = self.name(sex, group)
                    if (sex, given) in names_used:
                        given = self.name(sex, group)
                names_used.add((sex, given))
                kids.append(self.add(sex=sex, birth=birth, given=given, father_name=c["given"][father],
                                     grandfather_name=c["father_name"][father], surname=c["surname"][father],
                                     mother_given=c["given"][mother], mother_father=c["father_name"][mother],
                                     father_id=father, mother_id=mother, spouse_id=-1, group=c["group"][father],
                                     governorate=c["governorate"][father], household=household, twin=twins == 2))
            year += int(rng.integers(1, 4))
        return kids

    def lineage(self, limit: int) -> list[int]:
        """A grandfather, his wife and their children; returns the sons old enough to marry."""
        k, rng = self.k, self.rng
        gov = int(rng.choice(len(k.governorates.arabic), p=k.governorates.weight / k.governorates.weight.sum()))
        shares = k.governorates.groups[gov]
        group = GROUPS[int(rng.choice(len(GROUPS), p=shares / shares.sum()))]
        surname = self.name("S", group) if rng.random() < _SURNAME_KEPT[group] else -1
        home = self.households
        self.households += 1
        year = int(rng.integers(1928, 1966))
        g = self.founder("M", year, group, gov, surname, home)
        wife_surname = self.name("S", group) if rng.random() < _SURNAME_KEPT[group] else -1
        w = self.founder("F", year + int(rng.integers(0, 12)), group, gov, wife_surname, home)
        self.cols["spouse_id"][g], self.cols["spouse_id"][w] = w, g
        return self.grown_sons(self.children(g, w, group, home, limit))

    def grown_sons(self, kids: list[int]) -> list[int]:
        """The sons old enough to marry; the grown daughters wait to be asked."""
        adult = TODAY.year - 22
        sons = []
        for kid in kids:
            year = dt.date.fromordinal(self.cols["birth"][kid]).year
            if year > adult:
                continue
            if self.cols["sex"][kid] == "M":
                sons.append(kid)
            else:
                self.free_women.setdefault(year, []).append(kid)
        return sons

    def marry(self, son: int, limit: int) -> list[int]:
        """A wife from another family (or from outside the world), a household, children; returns the grown sons."""
        c, rng = self.cols, self.rng
        if rng.random() > _MARRIED or len(c["sex"]) >= limit:
            return []
        group = GROUPS[c["group"][son]]
        year = dt.date.fromordinal(c["birth"][son]).year + int(rng.integers(0, 10))
        candidates = self.free_women.get(year, [])
        wife = -1
        if candidates and rng.random() < 0.7:
            j = int(rng.integers(len(candidates)))
            if c["father_id"][candidates[j]] != c["father_id"][son]:
                wife = candidates.pop(j)
        if wife < 0:
            wife = self.founder("F", min(year, TODAY.year - 18), group, c["governorate"][son], -1, -1)
            c["surname"][wife] = self.name("S", group) if rng.random() < _SURNAME_KEPT[group] else -1
        home = self.households
        self.households += 1
        if rng.random() < _MOVED:
            c["governorate"][son] = int(rng.integers(len(self.k.governorates.arabic)))
        c["household"][son] = c["household"][wife] = home
        c["governorate"][wife] = c["governorate"][son]
        c["spouse_id"][son], c["spouse_id"][wife] = wife, son
        return self.grown_sons(self.children(son, wife, group, home, limit))


def build_population(persons: int, rng: np.random.Generator, k: Knowledge) -> Population:
    b = _Builder(rng, k)
    while len(b.cols["sex"]) < persons:
        sons: list[int] = []
        for _ in range(max(5, (persons - len(b.cols["sex"])) // 40)):
            sons += b.lineage(persons)
        while sons:  # one generation after another: sons marry, their grown sons marry in turn
            grown: list[int] = []
            for i in rng.permutation(len(sons)):
                grown += b.marry(sons[i], persons)
            sons = grown
    cols = {name: np.array(values[:persons]) for name, values in b.cols.items()}
    n = len(cols["sex"])
    for ref in ("father_id", "mother_id", "spouse_id"):
        cols[ref] = np.where(cols[ref] < n, cols[ref], -1)
    registered, default = _registered_births(cols["birth"], rng)
    death = _deaths(cols["birth"], rng)
    national_id = _national_ids(cols["birth"], death, rng)
    return Population(**cols, registered_birth=registered, birth_is_default=default, death=death,
                      national_id=national_id, card_names=_card_names(cols, national_id, k, rng))


def _card_names(cols: dict, national_id: np.ndarray, k: Knowledge, rng: np.random.Generator
                ) -> dict[int, tuple[int, str]]:
    """A name misspelt on the national card itself: the card's data were keyed from the paper civil registers,
    and a holder that copies the card copies the slip (the registry, which asks the family, does not)."""
    slips = (arabic.hamza, arabic.final_letter, arabic.ocr_dots, arabic.keyboard_slip)
    out = {}
    draw = random.Random(int(rng.integers(2**63)))
    for p in np.flatnonzero((national_id != "") & (rng.random(len(national_id)) < _CARD_SLIP)):
        part = draw.randrange(3)
        if part == 0:
            names, i = (k.male if cols["sex"][p] == "M" else k.female), cols["given"][p]
        else:
            names, i = k.male, cols["father_name" if part == 1 else "grandfather_name"][p]
        written = draw.choice(slips)(names.arabic[i], draw)
        if written != names.arabic[i]:
            out[int(p)] = (part, written)
    return out


def _years(ordinals: np.ndarray) -> np.ndarray:
    return np.array([dt.date.fromordinal(int(o)).year for o in ordinals]) if len(ordinals) else ordinals


def _registered_births(birth: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Older Iraqis (and some rural births) were registered with the year only: the record says 1 July,
    sometimes 1 January."""
    years = _years(birth)
    default = rng.random(len(birth)) < np.where(years < 1975, 0.35, 0.04)
    month = np.where(rng.random(len(birth)) < 0.85, 7, 1)
    as_default = np.array([dt.date(int(y), int(m), 1).toordinal() for y, m in zip(years, month, strict=True)])
    return np.where(default, as_default, birth), default


def _deaths(birth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A Gompertz hazard, year by year up to today (about 1 % a year at 60, 7 % at 80)."""
    years = _years(birth)
    death = np.zeros(len(birth), dtype=np.int64)
    alive = np.ones(len(birth), dtype=bool)
    for year in range(int(years.min()), TODAY.year + 1):
        age = year - years
        hazard = np.where(age < 1, 0.02, np.exp(-9.5 + 0.085 * age))
        dies = alive & (age >= 0) & (rng.random(len(birth)) < hazard)
        start = dt.date(year, 1, 1).toordinal()
        last = min(dt.date(year, 12, 31), TODAY).toordinal()
        death[dies] = np.maximum(birth[dies], start) + (rng.random(dies.sum()) * (last - start)).astype(np.int64)
        death[dies] = np.minimum(death[dies], last)
        alive &= ~dies
    return death


def _national_ids(birth: np.ndarray, death: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Twelve digits for those who lived to get the unified card; most adults have one, fewer children."""
    adult = _years(birth) <= TODAY.year - 18
    alive_then = (death == 0) | (death >= CARD_START.toordinal())
    has = alive_then & (rng.random(len(birth)) < np.where(adult, 0.88, 0.55))
    digits = rng.integers(0, 10, size=(len(birth), 11))
    first = rng.integers(1, 3, size=len(birth))
    ids = np.array([f"{f}{''.join(map(str, d))}" for f, d in zip(first, digits, strict=True)], dtype=object)
    _, first_seen = np.unique(ids, return_index=True)
    unique = np.zeros(len(ids), dtype=bool)
    unique[first_seen] = True
    return np.where(has & unique, ids, "")
