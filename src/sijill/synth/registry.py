"""The social registry: households that qualified on the day they enrolled, their programmes, monthly
amounts and a payment ledger from enrolment to today.

A household is judged as it was on its enrolment date: who was alive and born then, who headed it, what
income its members had. Widows, divorcees, orphans, people with disabilities, the elderly and poor
households enrol at different rates; a small share of households with an income above the poverty line
enrol too (the inclusion errors that partner data should find).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog
from .config import Rules
from .holdings import Holdings
from .households import Households, build_households, relation_to_head
from .names import FEMALE
from .population import Population
from .timeline import NEVER, age_at, from_ymd, uniform_between, years, ymd

CATEGORIES = ("widow", "divorcee", "orphans", "disabled", "elderly", "poor")
CATEGORIES_AR = ("أرملة", "مطلقة", "أيتام", "ذوو إعاقة", "كبار السن", "أسرة فقيرة")
ENROL_RATE = np.array([0.55, 0.45, 0.55, 0.40, 0.30, 0.10])  # by category, when the household is poor
INCLUSION_ERROR = 0.06  # enrolment rate of households above the poverty line, relative to the poor
STOPPED = 0.04  # share of enrolments the ministry has already stopped


@dataclass
class Registry:
    households: Households
    hh: dict[str, np.ndarray]  # one row per enrolled household
    enrolments: dict[str, np.ndarray]
    members: dict[str, np.ndarray]
    payments: dict[str, np.ndarray]
    programmes: list[dict[str, str]]
    member_row: np.ndarray  # per person: row in ``hh`` of the household that lists them, or -1


def build_registry(
    rng: np.random.Generator, pop: Population, holdings: Holdings, today: int, start: int, rules: Rules
) -> Registry:
    hs = build_households(pop, start)
    n_hh = hs.count
    enrol = (start + years((rng.random(n_hh) ** 0.7) * (today - 30 - start) / 365.2425)).astype(np.int32)
    head = hs.head_at(pop, enrol)
    m = hs.order
    h = hs.of_person[m]
    at = enrol[h]
    present = (pop.birth[m] <= at) & (pop.death[m] > at)
    m, h, at = m[present], h[present], at[present]
    size = np.bincount(h, minlength=n_hh)
    income = np.bincount(h, weights=holdings_income(holdings, m, at), minlength=n_hh)
    poor = income < rules.poverty_line_iqd * np.maximum(size, 1)

    couple = np.maximum(hs.couple, 0)
    c = pop.couples
    wife_heads = (hs.couple >= 0) & (head == c["wife"][couple]) & (head >= 0)
    widow = wife_heads & ~hs.divorced_side & (pop.death[c["husband"][couple]] <= enrol)
    divorcee = wife_heads & hs.divorced_side & (c["divorced"][couple] <= enrol)
    minor = age_at(pop.birth[m], at) < 18
    fatherless = minor & (pop.father_pid[m] >= 0) & (pop.death[np.maximum(pop.father_pid[m], 0)] <= at)
    orphans = np.bincount(h[fatherless], minlength=n_hh) > 0
    disabled = np.bincount(h[pop.disabled[m]], minlength=n_hh) > 0
    elderly = (head >= 0) & (age_at(pop.birth[np.maximum(head, 0)], enrol) >= 60)
    flags = np.stack([widow, divorcee, orphans, disabled, elderly, poor], axis=1)
    p = 1.0 - np.prod(np.where(flags, 1.0 - ENROL_RATE, 1.0), axis=1)
    p = np.where(poor, p, p * INCLUSION_ERROR)
    p = np.where((size > 0) & (head >= 0) & (pop.sex[np.maximum(head, 0)] >= 0), p, 0.0)
    chosen = np.flatnonzero(rng.random(n_hh) < p)
    chosen = chosen[np.lexsort((chosen, enrol[chosen]))]  # registry ids follow enrolment order
    category = np.argmax(flags[chosen], axis=1).astype(np.int8)
    category = np.where(flags[chosen].any(axis=1), category, CATEGORIES.index("poor"))
    row_of_hh = np.full(n_hh, -1, dtype=np.int32)
    row_of_hh[chosen] = np.arange(len(chosen), dtype=np.int32)

    listed = row_of_hh[h] >= 0
    mm, rows = m[listed], row_of_hh[h[listed]]
    reg_head = head[chosen]
    order = np.lexsort((pop.birth[mm], mm != reg_head[rows], rows))
    mm, rows = mm[order], rows[order]
    members = {"pid": mm.astype(np.int32), "row": rows, "relation": relation_to_head(pop, mm, reg_head[rows])}
    member_row = np.full(len(pop), -1, dtype=np.int32)
    member_row[mm] = rows
    hh = {
        "hh": chosen.astype(np.int32),
        "enrolled": enrol[chosen],
        "category": category,
        "head": reg_head,
        "size": size[chosen],
        "gov": pop.gov[reg_head],
        "female_head": pop.sex[reg_head] == FEMALE,
    }
    programmes = catalog.table("programmes.csv")
    enrolments = _enrolments(rng, hh, members, pop, programmes, today)
    hh["end"] = np.full(len(chosen), NEVER, dtype=np.int32)
    spn = enrolments["programme"] == 0
    hh["end"][enrolments["row"][spn]] = enrolments["end"][spn]
    return Registry(hs, hh, enrolments, members, _ledger(rng, enrolments, today), programmes, member_row)


def holdings_income(holdings: Holdings, members: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Monthly income of each listed member on their household's enrolment day."""
    job, pension, insured = holdings.job, holdings.pension, holdings.insured
    total = np.where(job["start"][members] <= when, job["salary"][members], 0).astype(np.float64)
    total += np.where(pension["start"][members] <= when, pension["amount"][members], 0)
    total += np.where(insured["start"][members] <= when, insured["wage"][members], 0)
    return total


def _enrolments(rng, hh, members, pop, programmes, today) -> dict[str, np.ndarray]:
    n = len(hh["hh"])
    spn = programmes[0]
    amount = int(spn["base"]) + int(spn["per_member"]) * (np.minimum(hh["size"], int(spn["max_members"])) - 1)
    disabled_rows = np.unique(members["row"][pop.disabled[members["pid"]]])
    carer = disabled_rows[rng.random(len(disabled_rows)) < 0.5]
    dis_start = np.minimum(hh["enrolled"][carer] + years(rng.uniform(0, 2, len(carer))), today - 30)
    rows = np.concatenate([np.arange(n), carer]).astype(np.int32)
    start = np.concatenate([hh["enrolled"], dis_start]).astype(np.int32)
    programme = np.concatenate([np.zeros(n, np.int8), np.ones(len(carer), np.int8)])
    amounts = np.concatenate([amount, np.full(len(carer), int(programmes[1]["base"]))]).astype(np.int64)
    stopped = rng.random(len(rows)) < STOPPED
    end = np.where(stopped, uniform_between(rng, start + 90, np.full(len(rows), today)), NEVER)
    order = np.lexsort((programme, start))
    return {
        "row": rows[order],
        "programme": programme[order],
        "amount": amounts[order],
        "start": start[order],
        "end": end[order].astype(np.int32),
    }


def _month_index(days: np.ndarray) -> np.ndarray:
    y, m, _ = ymd(days)
    return y * 12 + m - 1


def _ledger(rng, enrolments: dict[str, np.ndarray], today: int) -> dict[str, np.ndarray]:
    """One payment a month, from the month after enrolment to the last month before it stopped."""
    first = _month_index(enrolments["start"]) + 1
    last = _month_index(np.minimum(enrolments["end"], today))
    count = np.maximum(last - first + 1, 0)
    enrolment = np.repeat(np.arange(len(count), dtype=np.int32), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    month = first[enrolment] + offset
    y, mo = month // 12, month % 12 + 1
    status = np.where(rng.random(len(enrolment)) < 0.02, 1, 0).astype(np.int8)  # 1: returned unclaimed
    return {
        "enrolment": enrolment,
        "month": from_ymd(y, mo, 1),
        "amount": enrolments["amount"][enrolment],
        "status": status,
    }
