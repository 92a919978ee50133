"""What people hold and do, as partner agencies see it: government jobs, pensions, insured private jobs,
vehicles, business licences, bank loans and trips abroad. Drawn for the living, with dates, so that the
registry can tell what a household had at enrolment and the findings what came after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from . import catalog
from .names import FEMALE, MALE
from .population import Population
from .timeline import NEVER, age_at, day, from_ymd, uniform_between, year_of, years

LOAN_WINDOW_YEARS = 5
_1990, _2005, _2008 = (day(dt.date(y, 1, 1)) for y in (1990, 2005, 2008))
TRAVEL_WINDOW_YEARS = 3


def _shares(rows: list[dict[str, str]], column: str = "share") -> np.ndarray:
    w = np.array([float(r[column]) for r in rows])
    return w / w.sum()


@dataclass
class Holdings:
    """Per-person facts (``-1`` or ``NEVER`` when absent) and per-event tables (columns of arrays)."""

    job: dict[str, np.ndarray] = field(default_factory=dict)  # ministry, salary, start
    pension: dict[str, np.ndarray] = field(default_factory=dict)  # amount, start, survivor
    insured: dict[str, np.ndarray] = field(default_factory=dict)  # employer, wage, start
    vehicles: dict[str, np.ndarray] = field(default_factory=dict)  # pid, model, model_year, registered
    licences: dict[str, np.ndarray] = field(default_factory=dict)  # pid, type, issued
    loans: dict[str, np.ndarray] = field(default_factory=dict)  # pid, bank, amount, date
    travel: dict[str, np.ndarray] = field(default_factory=dict)  # pid, exit, back


def _round(x: np.ndarray, step: int) -> np.ndarray:
    return (np.round(x / step) * step).astype(np.int64)


def build_holdings(rng: np.random.Generator, pop: Population, today: int) -> Holdings:
    n = len(pop)
    alive = pop.death == NEVER
    age = age_at(pop.birth, today)
    male = pop.sex == MALE
    h = Holdings()

    ministries = catalog.table("ministries.csv")
    working = alive & (age >= 20) & (age <= 62)
    has_job = working & (rng.random(n) < np.where(male, 0.24, 0.09))
    ministry = rng.choice(len(ministries), n, p=_shares(ministries))
    lo = np.array([int(r["salary_min"]) for r in ministries])[ministry]
    hi = np.array([int(r["salary_max"]) for r in ministries])[ministry]
    start = uniform_between(rng, np.maximum(pop.birth + years(20), _1990), np.full(n, today - 30))
    seniority = np.clip((today - start) / (30 * 365.0), 0, 1)
    salary = _round(lo + (hi - lo) * (0.6 * seniority + 0.4 * rng.random(n)), 1000)
    h.job = {
        "ministry": np.where(has_job, ministry, -1).astype(np.int16),
        "salary": np.where(has_job, salary, 0),
        "start": np.where(has_job, start, NEVER),
    }

    retired = alive & (age >= 60) & ~has_job & (rng.random(n) < np.where(male, 0.32, 0.08))
    retire_day = np.minimum(pop.birth + years(rng.uniform(60, 63, n)), today - 30)
    widow_of = _late_husband(pop)
    survivor = alive & ~retired & (widow_of >= 0) & ~has_job & (rng.random(n) < 0.3)
    husband_death = np.where(widow_of >= 0, pop.death[np.maximum(widow_of, 0)], NEVER)
    h.pension = {
        "amount": np.select(
            [retired, survivor],
            [_round(rng.uniform(400_000, 1_500_000, n), 1000), _round(rng.uniform(250_000, 800_000, n), 1000)],
            0,
        ),
        "start": np.select([retired, survivor], [retire_day, husband_death + 60], NEVER).astype(np.int32),
        "survivor": survivor,
    }

    employers = catalog.table("employers.csv")
    private = alive & (age >= 18) & (age <= 60) & ~has_job & (rng.random(n) < np.where(male, 0.08, 0.02))
    employer = rng.choice(len(employers), n, p=_shares(employers))
    wlo = np.array([int(r["wage_min"]) for r in employers])[employer]
    whi = np.array([int(r["wage_max"]) for r in employers])[employer]
    h.insured = {
        "employer": np.where(private, employer, -1).astype(np.int16),
        "wage": np.where(private, _round(wlo + (whi - wlo) * rng.random(n) ** 1.5, 1000), 0),
        "start": np.where(
            private, uniform_between(rng, np.maximum(pop.birth + years(18), _2005), np.full(n, today - 30)), NEVER
        ),
    }

    adults = np.flatnonzero(alive & (age >= 20))
    owners = adults[rng.random(len(adults)) < np.where(male[adults], 0.2, 0.03)]
    models = catalog.table("vehicles.csv")
    model_year = np.clip(2025 - np.round(rng.gamma(2.2, 5.0, len(owners))), 1985, year_of(today)).astype(int)
    first_day = np.maximum(from_ymd(model_year, 1, 1), pop.birth[owners] + years(18))
    h.vehicles = {
        "pid": owners,
        "model": rng.choice(len(models), len(owners), p=_shares(models)),
        "model_year": model_year,
        "registered": uniform_between(rng, first_day, np.minimum(first_day + years(4), today - 1)),
    }

    kinds = catalog.table("licence_types.csv")
    grown = np.flatnonzero(alive & (age >= 25) & (age <= 75))
    holders = grown[rng.random(len(grown)) < 0.006]
    h.licences = {
        "pid": holders,
        "type": rng.choice(len(kinds), len(holders), p=_shares(kinds)),
        "issued": uniform_between(
            rng, np.maximum(pop.birth[holders] + years(25), _2008), np.full(len(holders), today - 1)
        ),
    }

    banks = catalog.table("banks.csv")
    borrowers_pool = np.flatnonzero(alive & (age >= 21) & (age <= 65))
    earning = (h.job["salary"] > 0) | (h.insured["wage"] > 0)
    borrowers = borrowers_pool[rng.random(len(borrowers_pool)) < np.where(earning[borrowers_pool], 0.1, 0.03)]
    amount = np.clip(np.exp(rng.normal(np.log(8_000_000), 1.0, len(borrowers))), 1_000_000, 250_000_000)
    h.loans = {
        "pid": borrowers,
        "bank": rng.choice(len(banks), len(borrowers), p=_shares(banks)),
        "amount": _round(amount, 100_000),
        "date": uniform_between(
            rng,
            np.maximum(pop.birth[borrowers] + years(21), today - years(LOAN_WINDOW_YEARS)),
            np.full(len(borrowers), today - 1),
        ),
    }

    travellers_pool = np.flatnonzero(alive & (age >= 18))
    travellers = travellers_pool[rng.random(len(travellers_pool)) < 0.05]
    m = len(travellers)
    exit_day = uniform_between(rng, np.full(m, today - years(TRAVEL_WINDOW_YEARS)), np.full(m, today - 1))
    u = rng.random(m)
    stay = np.select([u < 0.75, u < 0.87], [rng.integers(3, 60, m), rng.integers(60, 400, m)], NEVER)
    back = exit_day.astype(np.int64) + stay
    h.travel = {"pid": travellers, "exit": exit_day, "back": np.where(back < today, back, NEVER).astype(np.int32)}
    return h


def _late_husband(pop: Population) -> np.ndarray:
    """For each widow, her dead husband (-1 otherwise)."""
    c = pop.couples
    out = np.full(len(pop), -1, dtype=np.int32)
    dead = (pop.death[c["husband"]] < NEVER) & (c["divorced"] == NEVER)
    out[c["wife"][dead]] = c["husband"][dead]
    out[pop.sex != FEMALE] = -1
    return out
