"""One history per insured person: every month of contributions across employers and voluntary periods, and a
pension eligibility estimate from the conditions table (labelled as an estimate: the directorate decides)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .ledger import statement
from .models import DeclarationLine, Insured, VoluntaryDue
from .tables import conditions_on


@dataclass(frozen=True)
class ServiceMonth:
    month: dt.date
    sources: tuple[str, ...]  # establishment names and/or "voluntary"
    paid: bool


@dataclass(frozen=True)
class Estimate:
    age: int
    paid_months: int
    needed_age: int
    needed_months: int
    conditions: str

    @property
    def eligible(self) -> bool:
        return self.age >= self.needed_age and self.paid_months >= self.needed_months

    @property
    def months_missing(self) -> int:
        return max(0, self.needed_months - self.paid_months)


def service_months(person: Insured, today: dt.date | None = None) -> list[ServiceMonth]:
    """A month counts as paid when the voluntary due is paid, or the employer's contributions of that month are."""
    today = today or dt.date.today()
    months: dict[dt.date, tuple[list[str], bool]] = {}
    settled: dict[int, set[dt.date]] = {}
    lines = (DeclarationLine.objects.filter(insured=person, declaration__current=True)
             .select_related("declaration__establishment"))
    for ln in lines:
        est = ln.declaration.establishment
        if est.pk not in settled:
            settled[est.pk] = {m.month for m in statement(est, today) if m.paid >= m.due}
        names, paid = months.get(ln.declaration.month, ([], False))
        months[ln.declaration.month] = ([*names, est.name], paid or ln.declaration.month in settled[est.pk])
    for month, paid_id in VoluntaryDue.objects.filter(subscription__insured=person).values_list("month", "paid_id"):
        names, paid = months.get(month, ([], False))
        months[month] = ([*names, "voluntary"], paid or paid_id is not None)
    return [ServiceMonth(m, tuple(names), paid) for m, (names, paid) in sorted(months.items(), reverse=True)]


def estimate(person: Insured, today: dt.date | None = None) -> Estimate:
    today = today or dt.date.today()
    cond = conditions_on(today)
    born = person.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    paid = sum(1 for m in service_months(person, today) if m.paid)
    return Estimate(age, paid, cond.pension_age, cond.pension_paid_months, cond.version)

