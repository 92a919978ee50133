"""The law's tables as dated data: read from data/*.csv into versioned rows, and the version in force on a day.

Loading is idempotent and never edits a version already written: a row whose figures differ from the stored
version of the same name is refused (a change must be a new version with a later date).
"""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

from .contributions import Rates, month_start, pct_to_bp
from .models import Conditions, RateTable, VoluntaryCategory


class TableError(ValueError):
    """A table row that cannot be loaded; names the file, row and field."""


def _rows(name: str) -> list[tuple[int, dict[str, str]]]:
    text = (resources.files("sijill.damaan") / "data" / name).read_text(encoding="utf-8")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    return [(lines[i + 1][0], row) for i, row in enumerate(reader)]


def _date(name: str, number: int, row: dict, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(row[field])
    except (KeyError, ValueError) as e:
        raise TableError(f"data/{name}, row {number}, {field}: not a date ({row.get(field)!r})") from e


def _int(name: str, number: int, row: dict, field: str, convert=int) -> int:
    try:
        return convert(row[field])
    except (KeyError, ValueError, TypeError) as e:
        raise TableError(f"data/{name}, row {number}, {field}: not a number ({row.get(field)!r})") from e


def _keep(model, name: str, number: int, lookup: dict, values: dict, using: str) -> None:
    existing = model.objects.using(using).filter(**lookup).first()
    if existing is None:
        model.objects.using(using).create(**lookup, **values)
        return
    changed = [k for k, v in values.items() if k != "source" and getattr(existing, k) != v]
    if changed:
        version = " ".join(map(str, lookup.values()))
        raise TableError(f"data/{name}, row {number}: version {version} is already in force with other figures "
                         f"({', '.join(changed)}); a change must be a new version")


def load_shipped_tables(using: str = "default") -> dict[str, int]:
    """Write every version of data/rates.csv, conditions.csv and voluntary_categories.csv not yet stored."""
    for number, row in _rows("rates.csv"):
        values = dict(valid_from=_date("rates.csv", number, row, "valid_from"), source=row.get("source", ""))
        for field, column in (("worker_bp", "worker_pct"), ("employer_bp", "employer_pct"),
                              ("employer_oil_bp", "employer_oil_pct"),
                              ("penalty_bp_per_month", "penalty_pct_per_month")):
            values[field] = _int("rates.csv", number, row, column, pct_to_bp)
        for field in ("minimum_wage_iqd", "ceiling_multiple", "due_months_after", "grace_days"):
            values[field.removesuffix("_iqd")] = _int("rates.csv", number, row, field)
        _keep(RateTable, "rates.csv", number, {"version": row["version"]}, values, using)
    for number, row in _rows("conditions.csv"):
        values = dict(valid_from=_date("conditions.csv", number, row, "valid_from"), source=row.get("source", ""))
        for field in ("pension_age", "pension_paid_months", "certificate_valid_days"):
            values[field] = _int("conditions.csv", number, row, field)
        _keep(Conditions, "conditions.csv", number, {"version": row["version"]}, values, using)
    for number, row in _rows("voluntary_categories.csv"):
        values = dict(valid_from=_date("voluntary_categories.csv", number, row, "valid_from"),
                      monthly_iqd=_int("voluntary_categories.csv", number, row, "monthly_iqd"),
                      notional_wage_iqd=_int("voluntary_categories.csv", number, row, "notional_wage_iqd"))
        _keep(VoluntaryCategory, "voluntary_categories.csv", number,
              {"version": row["version"], "number": _int("voluntary_categories.csv", number, row, "category")},
              values, using)
    return {"rates": RateTable.objects.using(using).count(), "conditions": Conditions.objects.using(using).count(),
            "categories": VoluntaryCategory.objects.using(using).count()}


class NoTable(LookupError):
    pass


def table_for(month: dt.date) -> RateTable:
    """The rate-table version in force on the first day of ``month``."""
    table = RateTable.objects.filter(valid_from__lte=month_start(month)).order_by("-valid_from").first()
    if table is None:
        raise NoTable(f"no contribution table is in force for {month:%Y-%m}")
    return table


def rates_for(month: dt.date) -> Rates:
    return table_for(month).rates()


def conditions_on(day: dt.date) -> Conditions:
    found = Conditions.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if found is None:
        raise NoTable(f"no conditions table is in force on {day}")
    return found


def categories_on(day: dt.date):
    """The voluntary categories of the version in force on ``day``."""
    latest = VoluntaryCategory.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if latest is None:
        return VoluntaryCategory.objects.none()
    return VoluntaryCategory.objects.filter(version=latest.version).order_by("number")
