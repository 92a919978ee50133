"""Double enrolments: a beneficiary listed a second time, in another household that enrolled later.

It happens when a clerk in another office enrols a relative's household and adds someone who is already
a member elsewhere: the name is written by another hand (other spellings, a nickname, a dropped
grandfather or surname), the birth date is sometimes written differently (a registration default, day
and month swapped, a year off), and the national ID is often left out — which is why no system caught it.
The later row is what the ministry should find (``--dedupe``); the truth lists both rows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa

from .agencies import Context, Extract, Payload, record_ids, render
from .config import AgencySpec, Mess
from .households import RELATIONS_AR, relation_to_head
from .timeline import from_ymd, ymd

# The second clerk's hand: more mess than the registry's own, and the ID missing half of the time.
SECOND_HAND = Mess(spelling=0.3, dots=0.08, keyboard=0.08, nickname=0.1, drop_grandfather=0.15, drop_surname=0.3,
                   drop_mother=0.1, date_format=0.5, id_typo=0.05, id_missing=0.5)
OTHER_DATE = 0.25  # share of duplicates whose birth date is written differently


def _other_dates(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For ``OTHER_DATE`` of the rows: 1 July of the year, day and month swapped, or a year off."""
    y, m, d = ymd(days)
    kind = np.where(rng.random(len(days)) < OTHER_DATE, rng.integers(1, 4, len(days)), 0)
    kind = np.where((kind == 3) & (m == 2) & (d == 29), 0, kind)  # no 29 February a year off
    swap = (kind == 2) & (d <= 12) & (d != m)
    year = np.where(kind == 3, y + rng.choice([-1, 1], len(days)), y)
    month = np.select([kind == 1, swap], [7, d], m)
    day_ = np.select([kind == 1, swap], [1, m], d)
    return np.where(kind > 0, from_ymd(year, month, day_), days).astype(days.dtype)


def duplicate_enrolments(ctx: Context, members: Extract, spec: AgencySpec, share: float,
                         rng: np.random.Generator) -> tuple[Extract, pa.Table]:
    """``members`` with ``share`` of its rows enrolled again in a later household (appended, numbered on),
    and the truth of each pair: person, first and second record, their households, and the second's date."""
    reg = ctx.registry
    rows, pids = members.facts["row"], members.pids
    n_hh = len(reg.hh["hh"])
    chosen = np.flatnonzero(rng.random(len(pids)) < share)
    chosen = chosen[rows[chosen] < n_hh - 1]  # a later household must exist
    later = rows[chosen] + 1 + (rng.random(len(chosen)) * (n_hh - 1 - rows[chosen])).astype(np.int64)
    when = reg.hh["enrolled"][later]
    alive = (ctx.pop.birth[pids[chosen]] <= when) & (ctx.pop.death[pids[chosen]] > when)  # on the second day
    chosen, later = chosen[alive], later[alive]
    dup_pids = pids[chosen]
    hh_ids = record_ids("HH", n_hh)
    relation = relation_to_head(ctx.pop, dup_pids, reg.hh["head"][later])
    disabled = np.where(ctx.pop.disabled[dup_pids], 0, 1)
    payload = [
        Payload("household_id", "رقم الأسرة", "household_id", hh_ids.take(pa.array(later))),
        Payload("relation", "صلة القرابة", "relation", pa.array(RELATIONS_AR).take(pa.array(relation))),
        Payload("disability", "إعاقة", "disability", pa.array(["نعم", "لا"]).take(pa.array(disabled))),
    ]
    second_spec = replace(spec, mess=SECOND_HAND)
    second = render(ctx, second_spec, rng, dup_pids, payload, shuffle=False)
    written = ctx.renderer.dates(_other_dates(ctx.pop.birth[dup_pids], rng), second_spec, rng,
                                 np.zeros(len(dup_pids), bool))
    header = next(c for c, role in members.roles.items() if role == "birth_date")
    second_table = second.table.set_column(second.table.column_names.index(header), header, written)
    n = len(pids)
    ids = record_ids("REG", n + len(chosen))
    table = pa.concat_tables([members.table, second_table.set_column(0, members.table.column_names[0],
                                                                       ids.slice(n))])
    merged = Extract(members.agency, spec, table, members.roles, np.concatenate([pids, dup_pids]),
                     {"row": np.concatenate([rows, later.astype(rows.dtype)])})
    truth = pa.table({
        "person_id": pa.array(dup_pids.astype(np.int64)),
        "record_id": members.record_ids.take(pa.array(chosen)),
        "household_id": hh_ids.take(pa.array(rows[chosen])),
        "duplicate_record_id": ids.slice(n),
        "duplicate_household_id": hh_ids.take(pa.array(later)),
        "enrolled_again": pa.array(reg.hh["enrolled"][later].astype(np.int32), pa.date32()),
    })
    return merged, truth


def duplicate_findings(truth: pa.Table) -> pa.Table:
    """Rows of ``expected_findings.csv``: the second enrolment is the one to stop."""
    n = truth.num_rows
    return pa.table({
        "person_id": truth["person_id"],
        "reason": pa.array(["duplicate"] * n, pa.string()),
        "effective_date": truth["enrolled_again"],
        "household_id": truth["duplicate_household_id"],
        "agency": pa.array(["registry"] * n, pa.string()),
        "record_id": truth["duplicate_record_id"],
    })
