"""Ground truth: who is behind each record, and which records make a beneficiary ineligible.

Findings are computed from the extracts as written (a record an agency did not send cannot be found)
and from the registry as enrolled, with the thresholds of ``config.Rules``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .agencies import Extract, record_ids
from .config import Rules
from .population import Population
from .registry import CATEGORIES, Registry
from .timeline import NEVER, year_of

REASONS = {
    "deaths": "deceased",
    "courts": "remarried",
    "payroll": "government_salary",
    "pensions": "pension",
    "insured": "insured_employment",
    "loans": "large_loan",
    "vehicles": "vehicle",
    "licences": "business_licence",
    "travel": "abroad",
}


def truth_table(extracts: list[Extract]) -> pa.Table:
    return pa.table(
        {
            "agency": pa.concat_arrays([pa.array([e.agency] * len(e.pids)) for e in extracts]),
            "record_id": pa.concat_arrays([e.record_ids for e in extracts]),
            "person_id": pa.array(np.concatenate([e.pids for e in extracts]).astype(np.int64)),
        }
    )


def _rule(e: Extract, rules: Rules, registry: Registry, enrolled: np.ndarray, today: int):
    """(applies, effective date) of one agency's rule for each of its rows."""
    f, pids = e.facts, e.pids
    after = lambda d: np.maximum(d, enrolled)  # noqa: E731 - a lasting condition counts from enrolment
    always = np.ones(len(pids), dtype=bool)
    if e.agency == "deaths":
        return f["date"] >= enrolled, f["date"]
    if e.agency == "courts":
        row = np.maximum(registry.member_row[pids], 0)
        category = registry.hh["category"][row]
        alone = np.isin(category, [CATEGORIES.index("widow"), CATEGORIES.index("divorcee")])
        head = registry.hh["head"][row] == pids
        return (f["role"] == 1) & alone & head & (f["date"] >= enrolled), f["date"]
    if e.agency == "payroll":
        return always, after(f["date"])
    if e.agency == "pensions":
        return f["amount"] >= rules.pension_iqd, after(f["date"])
    if e.agency == "insured":
        return f["amount"] >= rules.insured_wage_iqd, after(f["date"])
    if e.agency == "loans":
        return (f["amount"] >= rules.large_loan_iqd) & (f["date"] >= enrolled), f["date"]
    if e.agency == "vehicles":
        recent = f["model_year"] >= year_of(np.array([today]))[0] - rules.vehicle_max_age_years
        return recent, after(f["date"])
    if e.agency == "licences":
        return always, after(f["date"])
    if e.agency == "travel":
        until = np.where(f["back"] < NEVER, f["back"], today).astype(np.int64)
        return (
            (f["exit"] >= enrolled) & (until - f["exit"] > rules.abroad_days),
            f["exit"].astype(np.int64) + rules.abroad_days,
        )
    raise KeyError(e.agency)


def findings_table(extracts: list[Extract], registry: Registry, pop: Population, rules: Rules, today: int) -> pa.Table:
    """One row per beneficiary and reason, at the earliest effective date, with the record that shows it."""
    hh_ids = record_ids("HH", len(registry.hh["hh"]))
    rows = []
    for e in extracts:
        reason = REASONS.get(e.agency)
        if reason is None:
            continue
        row = registry.member_row[e.pids]
        listed = row >= 0
        safe = np.maximum(row, 0)
        enrolled, end = registry.hh["enrolled"][safe], registry.hh["end"][safe]
        applies, effective = _rule(e, rules, registry, enrolled, today)
        effective = np.asarray(effective, dtype=np.int64)
        hit = np.flatnonzero(listed & applies & (effective < end) & (effective <= today))
        rows.append(
            (
                e.pids[hit],
                np.full(len(hit), reason),
                effective[hit],
                row[hit],
                np.full(len(hit), e.agency),
                e.record_ids.take(pa.array(hit)),
            )
        )
    pids = np.concatenate([r[0] for r in rows])
    reasons = np.concatenate([r[1] for r in rows])
    effective = np.concatenate([r[2] for r in rows])
    order = np.lexsort((effective, reasons, pids))
    first = np.r_[True, (pids[order][1:] != pids[order][:-1]) | (reasons[order][1:] != reasons[order][:-1])]
    keep = order[first]
    records = pa.concat_arrays([r[5] for r in rows])
    return pa.table(
        {
            "person_id": pa.array(pids[keep].astype(np.int64)),
            "reason": pa.array(reasons[keep].tolist(), pa.string()),
            "effective_date": pa.array(effective[keep].astype(np.int32), pa.date32()),
            "household_id": hh_ids.take(pa.array(np.concatenate([r[3] for r in rows])[keep])),
            "agency": pa.array(np.concatenate([r[4] for r in rows])[keep].tolist(), pa.string()),
            "record_id": records.take(pa.array(keep)),
        }
    )
