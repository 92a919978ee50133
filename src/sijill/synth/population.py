"""Families over generations: name chains that agree, birth dates, deaths, governorates, national IDs.

Founding couples are drawn by governorate population; each couple's children are born at realistic
spacing; the children of a generation marry each other within their governorate (cousins may marry,
siblings never) or marry in from outside; their children follow, until births would pass ``today``.
Everything is column arithmetic on numpy arrays: there is no loop over persons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import governorates
from .config import Demography
from .names import FEMALE, KURD, MALE, NO_NAME, OLD, TURKMEN, NameBook, cohort_of_year
from .timeline import NEVER, YEAR, age_at, from_ymd, uniform_between, year_of, years, ymd

PERSON_COLUMNS = {
    "gen": np.int8,
    "sex": np.int8,
    "group": np.int8,
    "gov": np.int8,
    "twin": np.bool_,
    "birth": np.int32,
    "death": np.int32,
    "given": np.int32,
    "father_name": np.int32,
    "grandfather_name": np.int32,
    "surname": np.int32,
    "mother_given": np.int32,
    "mother_father": np.int32,
    "father_pid": np.int32,
    "mother_pid": np.int32,
    "couple": np.int32,
}
COUPLE_COLUMNS = {
    "husband": np.int32,
    "wife": np.int32,
    "married": np.int32,
    "divorced": np.int32,
    "gov": np.int8,
    "group": np.int8,
}


class Table:
    """Columns of equal length in preallocated numpy arrays that grow by appending rows."""

    def __init__(self, columns: dict[str, type], capacity: int = 1024) -> None:
        self._dtypes = columns
        self._cols = {k: np.empty(capacity, dtype=t) for k, t in columns.items()}
        self.n = 0

    def append(self, **values: np.ndarray) -> np.ndarray:
        m = len(next(iter(values.values())))
        if self.n + m > len(next(iter(self._cols.values()))):
            grow = max(2 * (self.n + m), 1024)
            for k, col in self._cols.items():
                bigger = np.empty(grow, dtype=col.dtype)
                bigger[: self.n] = col[: self.n]
                self._cols[k] = bigger
        for k in self._dtypes:
            self._cols[k][self.n : self.n + m] = values[k]
        ids = np.arange(self.n, self.n + m, dtype=np.int32)
        self.n += m
        return ids

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols", {})
        if name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def columns(self) -> dict[str, np.ndarray]:
        return {k: v[: self.n] for k, v in self._cols.items()}


@dataclass
class Population:
    """Everyone in the family trees (the dead too), and the marriages between them."""

    persons: dict[str, np.ndarray]
    couples: dict[str, np.ndarray]
    book: NameBook

    def __len__(self) -> int:
        return len(self.persons["birth"])

    def __getattr__(self, name: str) -> np.ndarray:
        persons = self.__dict__.get("persons", {})
        if name in persons:
            return persons[name]
        raise AttributeError(name)


def governorate_weights() -> np.ndarray:
    pop = np.array([float(r["population_2018"]) for r in governorates()])
    return pop / pop.sum()


FOUNDER_FIRST, FOUNDER_SPAN, FOUNDER_GROWTH = 1922, 73, 0.04


class _Builder:
    def __init__(self, rng: np.random.Generator, book: NameBook, today: int, demo: Demography) -> None:
        self.rng, self.book, self.today, self.demo = rng, book, today, demo
        self.p = Table(PERSON_COLUMNS, 1 << 16)
        self.c = Table(COUPLE_COLUMNS, 1 << 15)
        rows = governorates()
        self.gov_w = governorate_weights()
        self.kurd = np.array([float(r["kurd_share"]) for r in rows])
        self.turkmen = np.array([float(r["turkmen_share"]) for r in rows])

    # -- people ---------------------------------------------------------------------------------------

    def deaths(self, birth: np.ndarray, sex: np.ndarray, alive_until: np.ndarray | None = None) -> np.ndarray:
        """Death day from a Gompertz life table, plus infant deaths and young men's violent deaths;
        ``alive_until`` conditions on being alive then (a marriage). ``NEVER`` for the living."""
        rng, n = self.rng, len(birth)
        a, b = 1e-4, 0.085  # modal age at death about 80, median about 75
        age = np.log1p(-(b / a) * np.log(1.0 - rng.random(n))) / b
        age = np.where(rng.random(n) < 0.02, rng.random(n), age)
        young = rng.random(n) < np.where(sex == MALE, self.demo.conflict_deaths_male, 0.015)
        age = np.where(young, np.minimum(age, rng.uniform(16, 60, n)), age)
        death = birth + years(age)
        if alive_until is not None:
            late = death <= alive_until
            death = np.where(late, alive_until + years(rng.uniform(0.2, 45, n)), death)
        return np.where(death > self.today, NEVER, death).astype(np.int32)

    def group_of(self, gov: np.ndarray) -> np.ndarray:
        u = self.rng.random(len(gov))
        return np.where(u < self.kurd[gov], KURD, np.where(u < self.kurd[gov] + self.turkmen[gov], TURKMEN, 0))

    def outsider_chain(
        self, n: int, sex: np.ndarray, group: np.ndarray, gov: np.ndarray, birth: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Names for someone whose parents are not in the population (founders, in-married wives)."""
        b, rng = self.book, self.rng
        old = np.full(n, OLD, dtype=np.int8)
        male = np.zeros(n, dtype=np.int8)
        return {
            "given": b.sample_given(rng, sex, group, cohort_of_year(year_of(birth))),
            "father_name": b.sample_given(rng, male, group, old),
            "grandfather_name": b.sample_given(rng, male, group, old),
            "surname": b.sample_surname(rng, gov, group),
            "mother_given": b.sample_given(rng, np.full(n, FEMALE, dtype=np.int8), group, old),
            "mother_father": b.sample_given(rng, male, group, old),
        }

    def add_outsiders(
        self,
        sex: np.ndarray,
        gen: np.ndarray,
        group: np.ndarray,
        gov: np.ndarray,
        birth: np.ndarray,
        alive_until: np.ndarray,
    ) -> np.ndarray:
        n = len(sex)
        none = np.full(n, -1, dtype=np.int32)
        return self.p.append(
            gen=gen,
            sex=sex,
            group=group,
            gov=gov,
            twin=np.zeros(n, bool),
            birth=birth,
            death=self.deaths(birth, sex, alive_until),
            father_pid=none,
            mother_pid=none,
            couple=none,
            **self.outsider_chain(n, sex, group, gov, birth),
        )

    def add_couples(self, husband: np.ndarray, wife: np.ndarray, married: np.ndarray, gov: np.ndarray) -> np.ndarray:
        rng, p = self.rng, self.p
        n = len(husband)
        div = married + years(rng.uniform(0.5, 15, n))
        div_ok = (
            (rng.random(n) < self.demo.divorce_rate)
            & (div < self.today)
            & (div < p.death[husband])
            & (div < p.death[wife])
        )
        ids = self.c.append(
            husband=husband,
            wife=wife,
            married=married,
            gov=gov,
            group=p.group[husband],
            divorced=np.where(div_ok, div, NEVER),
        )
        self.p._cols["couple"][husband] = ids
        self.p._cols["couple"][wife] = ids
        self.p._cols["gov"][wife] = gov
        self.p._cols["gov"][husband] = gov
        return ids

    # -- generations ------------------------------------------------------------------------------------

    def founders(self, f: int) -> np.ndarray:
        rng = self.rng
        gov = rng.choice(len(self.gov_w), f, p=self.gov_w).astype(np.int8)
        group = self.group_of(gov).astype(np.int8)
        # Founding couples in every cohort, more in later ones (the population grew about 3% a year),
        # so that the generations below them overlap as real cohorts do.
        g = FOUNDER_GROWTH
        hy = FOUNDER_FIRST + np.log1p(rng.random(f) * np.expm1(g * FOUNDER_SPAN)) / g
        hb = from_ymd(hy.astype(int), rng.integers(1, 13, f), rng.integers(1, 29, f)).astype(np.int64)
        wb = hb + years(rng.uniform(1, 10, f))
        married = np.maximum(wb + years(rng.uniform(16, 25, f)), hb + years(19))
        zero = np.zeros(f, dtype=np.int8)
        h = self.add_outsiders(np.full(f, MALE, np.int8), zero, group, gov, hb, married)
        w = self.add_outsiders(np.full(f, FEMALE, np.int8), zero, group, gov, wb, married)
        return self.add_couples(h, w, married.astype(np.int32), gov)

    def children(self, couples: np.ndarray) -> np.ndarray:
        rng, p, c, d = self.rng, self.p, self.c, self.demo
        h, w = c.husband[couples], c.wife[couples]
        wy = year_of(p.birth[w])
        mean = np.select([wy < 1960, wy < 1975, wy < 1990], [6.2, 5.3, 4.2], 3.4)
        k = rng.poisson(mean)
        total = int(k.sum())
        rep = np.repeat(np.arange(len(couples)), k)
        starts = np.cumsum(k) - k
        first = np.zeros(total, dtype=bool)
        first[starts[k > 0]] = True
        gaps = np.where(first, rng.uniform(0.8, 2.5, total), rng.uniform(1.3, 3.8, total)) * YEAR
        cs = np.cumsum(gaps)
        base = np.zeros(len(couples))
        base[k > 0] = cs[starts[k > 0]] - gaps[starts[k > 0]]
        birth = c.married[couples][rep] + (cs - base[rep]).astype(np.int64)
        limit = np.minimum.reduce(
            [
                np.full(len(couples), self.today, np.int64),
                p.birth[w].astype(np.int64) + years(45),
                p.death[w].astype(np.int64),
                p.death[h].astype(np.int64) + 270,
                c.divorced[couples].astype(np.int64) + 270,
            ]
        )
        keep = birth < limit[rep]
        rep, birth = rep[keep], birth[keep]
        twins = rng.random(len(rep)) < d.twin_rate
        idx = np.repeat(np.arange(len(rep)), 1 + twins)
        rep, birth = rep[idx], birth[idx]
        twin = np.repeat(twins, 1 + twins)
        n = len(rep)
        if n == 0:
            return np.empty(0, dtype=np.int32)
        hh, ww = h[rep], w[rep]
        sex = (rng.random(n) < 0.49).astype(np.int8)
        group, gov = c.group[couples][rep], c.gov[couples][rep]
        given = self.book.sample_given(rng, sex, group, cohort_of_year(year_of(birth)))
        # The first son is often named after his paternal grandfather.
        sons = np.flatnonzero(sex == MALE)
        _, first_son = np.unique(rep[sons], return_index=True)
        first_son = sons[first_son]
        named = first_son[rng.random(len(first_son)) < d.named_after_grandfather]
        given[named] = p.father_name[hh[named]]
        given = self._distinct_sibling_names(given, rep, sex, group, birth, keep_ids=named)
        ids = p.append(
            gen=p.gen[hh] + 1,
            sex=sex,
            group=group,
            gov=gov,
            twin=twin,
            birth=birth,
            death=self.deaths(birth, sex),
            given=given,
            father_name=p.given[hh],
            grandfather_name=p.father_name[hh],
            surname=p.surname[hh],
            mother_given=p.given[ww],
            mother_father=p.father_name[ww],
            father_pid=hh,
            mother_pid=ww,
            couple=np.full(n, -1, dtype=np.int32),
        )
        return ids

    def _distinct_sibling_names(self, given, rep, sex, group, birth, keep_ids) -> np.ndarray:
        """Siblings do not share a given name: redraw the later of two equal names."""
        protected = np.zeros(len(given), dtype=bool)
        protected[keep_ids] = True
        for _ in range(4):
            order = np.lexsort((protected.astype(np.int8) * -1, given, rep))
            same = (rep[order][1:] == rep[order][:-1]) & (given[order][1:] == given[order][:-1])
            dup = order[1:][same]
            dup = dup[~protected[dup]]
            if len(dup) == 0:
                break
            given[dup] = self.book.sample_given(self.rng, sex[dup], group[dup], cohort_of_year(year_of(birth[dup])))
        return given

    def marry(self, people: np.ndarray) -> np.ndarray:
        """Marry a generation within each governorate, in order of the age each wants to marry at."""
        rng, p = self.rng, self.p
        men, women = people[p.sex[people] == MALE], people[p.sex[people] == FEMALE]
        m_date = p.birth[men] + years(rng.uniform(20, 34, len(men)) + rng.exponential(1.5, len(men)))
        w_date = p.birth[women] + years(rng.uniform(16, 28, len(women)) + rng.exponential(1.0, len(women)))
        m_ok = (rng.random(len(men)) < 0.92) & (m_date < self.today) & (m_date < p.death[men])
        w_ok = (rng.random(len(women)) < 0.88) & (w_date < self.today) & (w_date < p.death[women])
        men, m_date = men[m_ok], m_date[m_ok]
        women, w_date = women[w_ok], w_date[w_ok]
        mo = np.lexsort((m_date, p.gov[men]))
        wo = np.lexsort((w_date, p.gov[women]))
        men, m_date, women, w_date = men[mo], m_date[mo], women[wo], w_date[wo]
        n_gov = len(self.gov_w)
        m_count = np.bincount(p.gov[men], minlength=n_gov)
        w_count = np.bincount(p.gov[women], minlength=n_gov)
        pairs = np.minimum(m_count, w_count)
        m_rank = np.arange(len(men)) - (np.cumsum(m_count) - m_count)[p.gov[men]]
        w_rank = np.arange(len(women)) - (np.cumsum(w_count) - w_count)[p.gov[women]]
        m_pair = m_rank < pairs[p.gov[men]]
        w_pair = w_rank < pairs[p.gov[women]]
        hus, hd = men[m_pair], m_date[m_pair]
        wif, wd = women[w_pair], w_date[w_pair]
        # Siblings never marry: swap the bride with the next couple's, then drop what still clashes.
        clash = np.flatnonzero(p.father_pid[hus] == p.father_pid[wif])
        clash = clash[clash + 1 < len(wif)]
        nxt = clash + 1
        wif[clash], wif[nxt] = wif[nxt].copy(), wif[clash].copy()
        wd[clash], wd[nxt] = wd[nxt].copy(), wd[clash].copy()
        date = np.maximum(hd, wd)
        ok = (
            (p.father_pid[hus] != p.father_pid[wif])
            & (p.gov[hus] == p.gov[wif])
            & (date < p.death[hus])
            & (date < p.death[wif])
        )
        ids = [self.add_couples(hus[ok], wif[ok], date[ok].astype(np.int32), self._migrate(p.gov[hus[ok]]))]
        # Men left without a bride in the population marry in from outside it.
        single = men[~m_pair]
        sdate = m_date[~m_pair]
        take = rng.random(len(single)) < 0.85
        single, sdate = single[take], sdate[take]
        if len(single):
            n = len(single)
            wb = np.minimum(p.birth[single] + years(rng.uniform(1, 9, n)), sdate - years(rng.uniform(16, 24, n)))
            wives = self.add_outsiders(
                np.full(n, FEMALE, np.int8), p.gen[single], p.group[single], p.gov[single], wb, sdate
            )
            ids.append(self.add_couples(single, wives, sdate.astype(np.int32), self._migrate(p.gov[single])))
        return np.concatenate(ids)

    def _migrate(self, gov: np.ndarray) -> np.ndarray:
        moves = self.rng.random(len(gov)) < 0.04
        dest = self.rng.choice(len(self.gov_w), len(gov), p=self.gov_w)
        return np.where(moves, dest, gov).astype(np.int8)


def build_population(
    rng: np.random.Generator, persons: int, today: int, demo: Demography, book: NameBook | None = None
) -> Population:
    """Exactly ``persons`` people in families (surplus childless singles are left out at the end)."""
    book = book or NameBook()
    founders = max(int(persons / 7.2 * 1.06) + 8, 4)
    for _attempt in range(20):
        b = _Builder(rng, book, today, demo)
        couples = b.founders(founders)
        while len(couples):
            kids = b.children(couples)
            if len(kids) == 0:
                break
            couples = b.marry(kids)
        if persons <= b.p.n <= persons + _leaves(b.p.columns()):
            break
        # Too few people, or more surplus than childless singles to leave out: scale and draw again.
        founders = max(int(founders * persons / max(b.p.n, 1) * (1.06 if b.p.n < persons else 0.98)), 1)
    else:
        raise RuntimeError(f"could not build a population of exactly {persons} persons")
    people, couples_cols = _trim(rng, b.p.columns(), b.c.columns(), persons)
    pop = Population(people, couples_cols, book)
    _add_identity(rng, pop, today, demo)
    return pop


def _leaf_mask(people: dict) -> np.ndarray:
    """Unmarried people without children: they can be left out without breaking a family."""
    parent = np.zeros(len(people["birth"]), dtype=bool)
    for col in ("father_pid", "mother_pid"):
        parent[people[col][people[col] >= 0]] = True
    return (people["couple"] < 0) & ~parent


def _leaves(people: dict) -> int:
    return int(_leaf_mask(people).sum())


def _trim(rng, people: dict, couples: dict, target: int) -> tuple[dict, dict]:
    n = len(people["birth"])
    if n > target:
        leaves = np.flatnonzero(_leaf_mask(people))
        drop = rng.choice(leaves, size=n - target, replace=False)
        keep = np.ones(n, dtype=bool)
        keep[drop] = False
        new_id = (np.cumsum(keep) - 1).astype(np.int32)
        people = {k: v[keep] for k, v in people.items()}
        for col in ("father_pid", "mother_pid"):
            people[col] = np.where(people[col] >= 0, new_id[np.maximum(people[col], 0)], -1).astype(np.int32)
        couples = dict(couples, husband=new_id[couples["husband"]], wife=new_id[couples["wife"]])
    return people, couples


def _add_identity(rng: np.random.Generator, pop: Population, today: int, demo: Demography) -> None:
    """National IDs (12 digits, unique, missing for many old people and the long dead), registration
    default birth dates, disability, and remarriages of widows and divorcees."""
    p = pop.persons
    n = len(p["birth"])
    by = year_of(p["birth"])
    # Older people were registered with 1 July (sometimes 1 January) when only the year was known.
    u, january = rng.random(n), rng.random(n) < 0.2
    # Twins sit next to each other: the second twin gets the first one's registration draw.
    second = np.r_[
        False,
        p["twin"][1:]
        & p["twin"][:-1]
        & (p["mother_pid"][1:] == p["mother_pid"][:-1])
        & (p["birth"][1:] == p["birth"][:-1])
        & (p["mother_pid"][1:] >= 0),
    ]
    idx = np.flatnonzero(second)
    u[idx], january[idx] = u[idx - 1], january[idx - 1]
    default = u < np.select([by < 1960, by < 1975, by < 1990], [0.45, 0.30, 0.10], 0.02)
    y, _, _ = ymd(p["birth"])
    p["birth"] = np.where(default, from_ymd(y, np.where(january, 1, 7), 1), p["birth"]).astype(np.int32)
    nid = _unique_ids(rng, n)
    age = age_at(p["birth"], today)
    missing_p = np.select([age >= 75, age >= 55, age < 10], [0.45, 0.15, 0.3], 0.04)
    long_dead = p["death"] < today - years(9)  # the unified card began in 2016
    p["nid"] = np.where((rng.random(n) < missing_p) | long_dead, 0, nid)
    p["disabled"] = rng.random(n) < demo.disability_rate * (0.4 + np.maximum(age, 0) / 45)
    _remarriages(rng, pop, today, demo)


def _unique_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    ids = rng.integers(100_000_000_000, 300_000_000_000, n, dtype=np.int64)
    for _ in range(10):
        _, first = np.unique(ids, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        ids[dup] = rng.integers(100_000_000_000, 300_000_000_000, int(dup.sum()), dtype=np.int64)
    ids[np.isin(ids % 10**11, [11111111111, 22222222222])] += 1
    return ids


REMARRIAGE_WINDOW_YEARS = 6


def _remarriages(rng: np.random.Generator, pop: Population, today: int, demo: Demography) -> None:
    """Widows and divorcees under 55 remarry some months after the loss (a new contract in court)."""
    p, c = pop.persons, pop.couples
    n = len(p["birth"])
    p["remarried"] = np.full(n, NEVER, dtype=np.int32)
    p["remarried_to"] = np.full(n, -1, dtype=np.int32)
    wives = c["wife"]
    loss = np.minimum(c["divorced"], p["death"][c["husband"]]).astype(np.int64)
    alive = p["death"][wives] == NEVER
    young = age_at(p["birth"][wives], today) < 55
    eligible = alive & young & (loss < today - 130) & (rng.random(len(wives)) < demo.remarriage_rate)
    w = wives[eligible]
    date = uniform_between(
        rng, np.maximum(loss[eligible] + 130, today - years(REMARRIAGE_WINDOW_YEARS)), np.full(len(w), today)
    )
    men = np.flatnonzero(
        (p["sex"] == MALE)
        & (p["death"] == NEVER)
        & (age_at(p["birth"], today) >= 25)
        & (age_at(p["birth"], today) <= 70)
    )
    men = men[np.argsort(p["gov"][men], kind="stable")]
    counts = np.bincount(p["gov"][men], minlength=int(p["gov"].max()) + 1)
    start = np.cumsum(counts) - counts
    gov = p["gov"][w]
    has = counts[gov] > 0
    pick = start[gov] + (rng.random(len(w)) * counts[gov]).astype(np.int64)
    w, date, pick = w[has], date[has], pick[has]
    p["remarried"][w] = date
    p["remarried_to"][w] = men[pick]


__all__ = ["NO_NAME", "Population", "build_population", "governorate_weights"]
