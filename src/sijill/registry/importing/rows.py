"""The pure half of an import: cells -> checked values -> the column values a writer stores.

No Django here, so that large files are parsed in worker processes while the main process writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sijill import identity
from sijill.tabular import ROW

from ..keys import KEY_FIELDS, chain_keys
from .kinds import KINDS, Invalid
from .schema import Schema


@dataclass
class Issue:
    row: int
    field: str
    value: str
    reason: str
    rejected: bool  # True: the row was not imported; False: this value was left empty


@dataclass
class Parsed:
    """One batch, checked: the good rows (dicts with ROW), their issues, and the rows' column values."""

    read: int
    rows: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    values: list[tuple] | None = None


def parse(data: dict[str, list], schema: Schema, columns: dict[str, str]) -> Parsed:
    """Read every cell of a batch (column -> cells, plus ROW), a column at a time."""
    numbers = data[ROW]
    result = Parsed(len(numbers))
    issues, rejected = result.issues, set()
    parsed: dict[str, list] = {}
    for fname, column in columns.items():
        spec = schema.fields[fname]
        read, required = KINDS[spec.kind], spec.required
        out = []
        for i, raw in enumerate(data[column]):
            value = None
            if raw is not None and (raw := raw.strip()):
                try:
                    value = read(raw)
                except Invalid as e:
                    issues.append(Issue(numbers[i], fname, raw[:255], e.reason, required))
                    if required:
                        rejected.add(i)
            elif required:
                issues.append(Issue(numbers[i], fname, "", "required value is empty", True))
                rejected.add(i)
            out.append(value)
        parsed[fname] = out
    names = list(parsed)
    for i, values in enumerate(zip(*parsed.values(), strict=True)):
        if i in rejected:
            continue
        row = {name: v for name, v in zip(names, values, strict=True) if v is not None}
        row[ROW] = numbers[i]
        if missing := next((g for g in schema.one_of if not any(n in row for n in g)), None):
            issues.append(Issue(numbers[i], "/".join(missing), "", "one of these is required", True))
            continue
        result.rows.append(row)
    return result


def birth_fields(d: identity.PartialDate | None) -> tuple:
    """birth_date, birth_precision, birth_year: a year alone keeps no date; a month keeps its first day."""
    if d is None:
        return None, "", None
    day = d.as_date() or (dt.date(d.year, d.month, 1) if d.month else None)
    return day, d.precision, d.year


PERSON_COLUMNS = ["record_id", "full_name", "given", "father", "grandfather", "surname", "mother", "birth_date",
                  "birth_precision", "birth_year", "national_id", "governorate", "district", "sex", "disability",
                  *KEY_FIELDS]


def person_values(row: dict, text_dates: bool) -> tuple:
    """The Person columns of one members row, in the order of PERSON_COLUMNS, ready for the database
    (``text_dates``: dates as ISO text, as Django stores them in SQLite)."""
    get = row.get
    if "given" in row or "full_name" not in row:
        chain = identity.parse_name(given=get("given"), father=get("father"), grandfather=get("grandfather"),
                                    surname=get("surname"), mother=get("mother"))
        parts = (get("given", ""), get("father", ""), get("grandfather", ""), get("surname", ""))
    else:
        chain = identity.parse_name(row["full_name"], surname=get("surname"), mother=get("mother"))
        parts = (chain.given or "", chain.father or "", chain.grandfather or "", chain.surname or "")
    keys = chain_keys(chain)
    born, precision, year = birth_fields(get("birth_date"))
    if text_dates and born is not None:
        born = born.isoformat()
    return (row["record_id"], get("full_name", "")[:255], *parts, get("mother", ""), born, precision, year,
            get("national_id"), get("governorate", ""), get("district", ""), get("sex", ""), get("disability"),
            *(keys[k] for k in KEY_FIELDS))


PREPARERS = {"members": person_values}
# What the writer still needs of each row once its values are computed (a slim row travels back from a
# worker process faster: unpickling a PartialDate costs more than parsing it).
KEEP = {"members": ("record_id", "household_id", "relation", "governorate", ROW)}


def work(data: dict[str, list], schema: Schema, columns: dict[str, str], target: str, text_dates: bool) -> Parsed:
    """Parse a batch and compute its column values: what a worker process does."""
    result = parse(data, schema, columns)
    if prepare := PREPARERS.get(target):
        result.values = [prepare(r, text_dates) for r in result.rows]
        keep = KEEP[target]
        result.rows = [{k: r[k] for k in keep if k in r} for r in result.rows]
    return result
