"""Who is written where: the registry's households (beneficiaries), a few members enrolled twice, and each
agency's people: some members, many more non-members, and relatives of members as the hard cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .families import TODAY, Population

REGISTRY_SHARE = 0.12
DUPLICATE_SHARE = 0.005
_START = dt.date(2016, 1, 1).toordinal()


@dataclass
class Registry:
    person: np.ndarray  # one row per registry record (a person enrolled twice has two rows)
    household: np.ndarray  # the registry household of the row
    enrolled: np.ndarray  # ordinal date the household was enrolled
    duplicate_of: np.ndarray  # row of the first record for a double enrolment, else -1


def ages(pop: Population, on: int = TODAY.toordinal()) -> np.ndarray:
    return (on - pop.birth) // 365


def build_registry(pop: Population, rng: np.random.Generator, poverty: np.ndarray) -> Registry:
    """Whole households, poorer ones first: in poorer governorates, large, and those a widow heads."""
    by_household = _groups(pop.household)
    by_household.pop(-1, None)
    households = np.array(sorted(by_household))
    weight = np.array([_need(pop, by_household[int(h)], poverty) for h in households])
    households = rng.choice(households, size=len(households), replace=False, p=weight / weight.sum())
    enrol_day = {}
    people: list[np.ndarray] = []
    target = REGISTRY_SHARE * len(pop)
    count = 0
    for h in households:
        if count >= target:
            break
        enrolled = int(rng.integers(_START, TODAY.toordinal()))
        members = by_household.get(int(h), np.array([], dtype=np.int64))
        members = members[(pop.death[members] == 0) | (pop.death[members] > enrolled)]
        members = members[pop.birth[members] <= enrolled]
        if len(members) == 0:
            continue
        enrol_day[int(h)] = enrolled
        people.append(members)
        count += len(members)
    person = np.concatenate(people)
    household = pop.household[person]
    enrolled = np.array([enrol_day[int(h)] for h in household])
    duplicate_of = np.full(len(person), -1)
    adults = np.flatnonzero(ages(pop)[person] >= 18)
    twice = rng.choice(adults, size=max(1, round(DUPLICATE_SHARE * len(person))), replace=False)
    other = rng.choice(np.unique(household), size=len(twice))
    keep = other != household[twice]
    twice, other = twice[keep], other[keep]
    return Registry(
        person=np.concatenate([person, person[twice]]),
        household=np.concatenate([household, other]),
        enrolled=np.concatenate([enrolled, [enrol_day[int(h)] for h in other]]).astype(np.int64),
        duplicate_of=np.concatenate([duplicate_of, twice]),
    )


def _need(pop: Population, members: np.ndarray, poverty: np.ndarray) -> float:
    wives = members[(pop.sex[members] == "F") & (pop.spouse_id[members] >= 0)]
    widowed = bool(len(wives)) and bool((pop.death[pop.spouse_id[wives]] > 0).any())
    return float(poverty[pop.governorate[members[0]]]) * (1 + 1.5 * widowed) * (0.5 + len(members) / 6)


def _groups(keys: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[order])) + 1
    return {int(keys[c[0]]): c for c in np.split(order, cuts)} if len(keys) else {}


class Kin:
    """A person's relatives on the father's side: siblings, cousins, the father and the sons."""

    def __init__(self, pop: Population) -> None:
        self.father = pop.father_id
        self.kids = _groups(pop.father_id)
        self.kids.pop(-1, None)

    def of(self, p: int) -> np.ndarray:
        none = np.array([], dtype=np.int64)
        f = int(self.father[p])
        found = [self.kids.get(p, none)]
        if f >= 0:
            found += [self.kids[f], np.array([f])]
            g = int(self.father[f])
            if g >= 0:
                found += [self.kids.get(int(u), none) for u in self.kids[g]]
        both = np.concatenate(found)
        return both[both != p]


def agency_rows(pop: Population, registry: Registry, who: dict, kin: Kin,
                rng: np.random.Generator) -> np.ndarray:
    """The people behind one agency's rows, in file order."""
    age = ages(pop)
    if "dead_since" in who:
        eligible = pop.death >= dt.date(who["dead_since"], 1, 1).toordinal()
    else:
        low, high = who.get("ages", [0, 200])
        eligible = (age >= low) & (age <= high)
        if who.get("alive"):
            eligible &= pop.death == 0
    member = np.zeros(len(pop), dtype=bool)
    member[registry.person] = True
    weight = np.ones(len(pop))
    if "men" in who:
        weight = np.where(pop.sex == "M", who["men"], 1 - who["men"])
    candidates = np.flatnonzero(eligible & member)
    wanted = who["members"] * (len(candidates) if "dead_since" in who else len(np.unique(registry.person)))
    members = _draw(candidates, min(round(wanted), len(candidates)), weight, rng)
    chosen = set(members.tolist())
    kin_rows = []
    for p in members[rng.random(len(members)) < who.get("relatives", 0.0)]:
        options = [int(q) for q in kin.of(int(p)) if eligible[q] and not member[q] and int(q) not in chosen]
        if options:
            q = options[int(rng.integers(len(options)))]
            chosen.add(q)
            kin_rows.append(q)
    others = np.flatnonzero(eligible & ~member)
    others = others[~np.isin(others, kin_rows)]
    extra = _draw(others, min(round(who["others"] * len(members)) - len(kin_rows), len(others)), weight, rng)
    rows = np.concatenate([members, np.array(kin_rows, dtype=np.int64), extra])
    again = rows[rng.random(len(rows)) < who.get("repeat", 0.0)]  # a second car, loan or crossing
    return rng.permutation(np.concatenate([rows, again]))


def _draw(pool: np.ndarray, size: int, weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if size <= 0 or len(pool) == 0:
        return np.array([], dtype=np.int64)
    p = weight[pool] / weight[pool].sum()
    return rng.choice(pool, size=size, replace=False, p=p)
