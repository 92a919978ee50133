"""What each establishment owes, month by month: the current assessment, payments against it, the delay fine
and what is left, in whole dinars; and each worker's own statement. Figures name the table version used."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from sijill.audit.trail import record
from sijill.identity.text import to_ascii_digits

from . import contributions as c
from .models import Assessment, DeclarationLine, Establishment, Insured, Payment
from .registration import NotAllowed, represents


@dataclass(frozen=True)
class MonthLine:
    month: dt.date
    table: str
    workers: int
    due: int
    due_on: dt.date
    paid: int
    penalty: int
    revision: int

    @property
    def owed(self) -> int:
        return max(0, self.due + self.penalty - self.paid)

    def in_arrears(self, today: dt.date) -> bool:
        return self.owed > 0 and self.due_on < today


def statement(est: Establishment, today: dt.date | None = None) -> list[MonthLine]:
    """Every declared month of ``est``, newest first."""
    today = today or dt.date.today()
    paid: dict[dt.date, list[tuple[dt.date, int]]] = defaultdict(list)
    for month, on, amount in est.payments.values_list("month", "paid_on", "amount"):
        paid[month].append((on, amount))
    out = []
    for a in (Assessment.objects.filter(declaration__establishment=est, current=True, declaration__current=True)
              .select_related("declaration", "table")):
        month = a.declaration.month
        payments = [p for p in paid.get(month, []) if p[0] <= today]
        fine = c.penalty(month, a.total, payments, today, a.table.rates())
        out.append(MonthLine(month, a.table.version, a.workers, a.total, a.due_on, sum(x for _, x in payments), fine,
                             a.declaration.revision))
    return sorted(out, key=lambda m: m.month, reverse=True)


def arrears(est: Establishment, today: dt.date | None = None) -> list[MonthLine]:
    today = today or dt.date.today()
    return [m for m in statement(est, today) if m.in_arrears(today)]


def clean_reference(text: str) -> str:
    return to_ascii_digits(text or "").strip().upper().replace(" ", "")


def record_payment(user, est: Establishment, month: dt.date, amount: int, reference: str, paid_on: dt.date,
                   request=None) -> Payment:
    """A payment made through the electronic payment service, against one month of ``est``."""
    if not (user.can("damaan_payments") or (user.can("damaan_employer") and represents(user, est))):
        raise NotAllowed("may not record payments for this establishment")
    reference = clean_reference(reference)
    if not reference:
        raise ValueError("the payment's reference is needed")
    if amount <= 0:
        raise ValueError("a payment is a positive amount")
    month = c.month_start(month)
    if not Assessment.objects.filter(declaration__establishment=est, declaration__month=month, current=True).exists():
        raise ValueError(f"nothing was declared for {month:%Y-%m}")
    try:
        with transaction.atomic():
            payment = Payment.objects.create(reference=reference, establishment=est, month=month, amount=amount,
                                             paid_on=paid_on, recorded_by=user)
    except IntegrityError as e:
        raise ValueError(f"the payment {reference} is already recorded") from e
    record("damaan_payment", request=request, user=user, target=est, month=month.strftime("%Y-%m"), amount=amount,
           reference=reference)
    return payment


@dataclass(frozen=True)
class WorkerMonth:
    month: dt.date
    establishment: str
    wage: int
    allowances: int
    base: int
    worker: int
    employer: int
    table: str


def worker_statement(person: Insured) -> list[WorkerMonth]:
    """A worker's declared months across employers, with the shares computed under each month's table."""
    lines = (DeclarationLine.objects.filter(insured=person, declaration__current=True)
             .select_related("declaration__establishment"))
    current = {a.declaration_id: a.table for a in
               Assessment.objects.filter(declaration__in={ln.declaration_id for ln in lines}, current=True)
               .select_related("table")}
    out = []
    for ln in lines:
        table = current[ln.declaration_id]
        f = c.line(ln.wage, ln.allowances, ln.declaration.establishment.sector, table.rates())
        out.append(WorkerMonth(ln.declaration.month, ln.declaration.establishment.name, ln.wage, ln.allowances,
                               f.base, f.worker, f.employer, table.version))
    return sorted(out, key=lambda m: m.month, reverse=True)
