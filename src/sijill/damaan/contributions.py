"""The contribution arithmetic of Law 18 of 2023, in whole dinars, with no Django: a rate table in, figures out.

Kept pure so that an accountant's table of cases (tests/web/damaan_contribution_cases.csv) and property tests
exercise exactly what the web system and the monthly run use.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

SECTORS = ("private", "mixed", "oil")


@dataclass(frozen=True)
class Rates:
    """One version of the contribution table (data/rates.csv). Rates in hundredths of a percent (500 = 5 %)."""

    version: str
    valid_from: dt.date
    worker_bp: int
    employer_bp: int
    employer_oil_bp: int
    minimum_wage: int
    ceiling_multiple: int
    due_months_after: int
    grace_days: int
    penalty_bp_per_month: int

    def employer_bp_for(self, sector: str) -> int:
        if sector not in SECTORS:
            raise ValueError(f"unknown sector {sector!r} (one of {', '.join(SECTORS)})")
        return self.employer_oil_bp if sector == "oil" else self.employer_bp

    @property
    def ceiling(self) -> int:
        return self.minimum_wage * self.ceiling_multiple


@dataclass(frozen=True)
class LineFigures:
    base: int
    worker: int
    employer: int

    @property
    def total(self) -> int:
        return self.worker + self.employer


def share(amount: int, bp: int) -> int:
    """``bp`` hundredths of a percent of ``amount``, rounded half up to the whole dinar."""
    return (amount * bp + 5_000) // 10_000


def pct_to_bp(text: str) -> int:
    """"12" or "12.5" (percent, as the table is written) -> 1200 or 1250, exactly."""
    whole, _, frac = str(text).strip().partition(".")
    frac = (frac + "00")[:2]
    if not whole.isdigit() or not frac.isdigit():
        raise ValueError(f"not a percentage: {text!r}")
    return int(whole) * 100 + int(frac)


def base_of(wage: int, allowances: int, rates: Rates) -> int:
    """The contribution base: the whole wage with allowances, not below the minimum wage, not above the ceiling."""
    if wage < 0 or allowances < 0:
        raise ValueError("a wage or allowance cannot be negative")
    return min(max(wage + allowances, rates.minimum_wage), rates.ceiling)


def line(wage: int, allowances: int, sector: str, rates: Rates) -> LineFigures:
    base = base_of(wage, allowances, rates)
    return LineFigures(base, share(base, rates.worker_bp), share(base, rates.employer_bp_for(sector)))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first`` to ``last`` inclusive (first days of months)."""
    out, m = [], month_start(first)
    while m <= month_start(last):
        out.append(m)
        m = add_months(m, 1)
    return out


def due_date(month: dt.date, rates: Rates) -> dt.date:
    """Contributions of ``month`` are due by the last day of the month ``due_months_after`` later."""
    later = add_months(month_start(month), rates.due_months_after)
    return later.replace(day=calendar.monthrange(later.year, later.month)[1])


def late_periods(month: dt.date, paid_on: dt.date, rates: Rates) -> int:
    """Started 30-day periods of delay beyond the due date plus the grace period (0 when paid in time)."""
    days = (paid_on - due_date(month, rates)).days - rates.grace_days
    return 0 if days <= 0 else (days - 1) // 30 + 1


def penalty(month: dt.date, principal: int, payments: list[tuple[dt.date, int]], today: dt.date,
            rates: Rates) -> int:
    """The delay fine on one month's contributions: each dinar of principal is fined ``penalty_bp_per_month`` for
    every started 30 days it was paid (or is still unpaid today) beyond the due date and the grace period.
    Payments settle the principal first, in date order."""
    fine, left = 0, principal
    for paid_on, amount in sorted(payments):
        applied = min(left, amount)
        fine += share(applied, rates.penalty_bp_per_month * late_periods(month, paid_on, rates))
        left -= applied
        if left == 0:
            break
    if left:
        fine += share(left, rates.penalty_bp_per_month * late_periods(month, today, rates))
    return fine
