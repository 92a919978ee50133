"""Voluntary retirement (التقاعد الاختياري) for the self-employed: a category chosen from the table, a due written
for every month by the monthly run, payments online (oldest months first, so arrears are caught up), and category
changes by request to an officer."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction

from sijill.audit.models import Action
from sijill.audit.trail import record

from . import contributions as c
from .ledger import clean_reference
from .models import CategoryRequest, Payment, Subscription, Term, VoluntaryCategory, VoluntaryDue
from .registration import NotAllowed, PersonDetails, claim_record


def subscribe(user, details: PersonDetails, occupation: str, category: VoluntaryCategory, start: dt.date,
              request=None) -> Subscription:
    """A self-employed person registers online: their insured record (found or new) and the subscription."""
    start = c.month_start(start)
    with transaction.atomic():
        person = claim_record(user, details, request=request)
        if hasattr(person, "subscription"):
            raise ValueError("already subscribed to voluntary retirement")
        sub = Subscription.objects.create(insured=person, occupation=occupation.strip(), start=start)
        Term.objects.create(subscription=sub, category=category, from_month=start)
    record("damaan_voluntary", request=request, user=user, target=person, step="subscribed",
           category=category.number, start=start.strftime("%Y-%m"))
    write_dues(start, subscription=sub)
    return sub


def category_in(sub: Subscription, month: dt.date) -> VoluntaryCategory:
    term = [t for t in sub.terms.select_related("category") if t.from_month <= month][-1]
    return term.category


_INSERT = """
INSERT INTO {due} (subscription_id, month, amount, category, paid_id)
SELECT s.id, %s, vc.monthly_iqd, vc.number, NULL
FROM {sub} s
JOIN {term} t ON t.id = (SELECT t2.id FROM {term} t2 WHERE t2.subscription_id = s.id AND t2.from_month <= %s
                         ORDER BY t2.from_month DESC, t2.id DESC LIMIT 1)
JOIN {cat} vc ON vc.id = t.category_id
WHERE s.start <= %s {only}
  AND NOT EXISTS (SELECT 1 FROM {due} d WHERE d.subscription_id = s.id AND d.month = %s)
"""


def write_dues(up_to: dt.date, subscription: Subscription | None = None, from_month: dt.date | None = None) -> int:
    """Write each subscriber's dues for every month from their start to ``up_to`` not written yet, with the amount
    of the category in force in that month. One SQL statement per month: the run for millions stays in the
    database."""
    q = connection.ops.quote_name
    sql = _INSERT.format(due=q(VoluntaryDue._meta.db_table), sub=q(Subscription._meta.db_table),
                         term=q(Term._meta.db_table), cat=q(VoluntaryCategory._meta.db_table),
                         only="AND s.id = %s" if subscription else "")
    first = from_month or (subscription.start if subscription else (
        Subscription.objects.order_by("start").values_list("start", flat=True).first()))
    if first is None:
        return 0
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for month in c.months_between(first, up_to):
            m = connection.ops.adapt_datefield_value(month)
            params = [m, m, m, *([subscription.pk] if subscription else []), m]
            cursor.execute(sql, params)
            written += max(cursor.rowcount, 0)
    return written


def unpaid(sub: Subscription, today: dt.date | None = None):
    write_dues(c.month_start(today or dt.date.today()), subscription=sub)
    return sub.dues.filter(paid__isnull=True).order_by("month")


def pay(user, sub: Subscription, months: int, reference: str, paid_on: dt.date, request=None) -> Payment:
    """Pay the ``months`` oldest unpaid months (arrears first); the amount is theirs exactly."""
    if sub.insured.user_id != user.pk and not user.can("damaan_payments"):
        raise NotAllowed("not this subscriber")
    reference = clean_reference(reference)
    if not reference:
        raise ValueError("the payment's reference is needed")
    if months < 1:
        raise ValueError("pay at least one month")
    with transaction.atomic():
        dues = list(unpaid(sub, paid_on).select_for_update()[:months])
        if not dues:
            raise ValueError("nothing is due")
        try:
            with transaction.atomic():
                payment = Payment.objects.create(reference=reference, subscription=sub, month=dues[0].month,
                                                 amount=sum(d.amount for d in dues), paid_on=paid_on,
                                                 recorded_by=user)
        except IntegrityError as e:
            raise ValueError(f"the payment {reference} is already recorded") from e
        VoluntaryDue.objects.filter(pk__in=[d.pk for d in dues]).update(paid=payment)
    record("damaan_payment", request=request, user=user, target=sub.insured, voluntary=True, months=len(dues),
           amount=payment.amount, reference=reference)
    return payment


def request_category(user, sub: Subscription, category: VoluntaryCategory, today: dt.date | None = None,
                     request=None) -> CategoryRequest:
    """A change of category from next month, by request (an officer decides)."""
    if sub.insured.user_id != user.pk:
        raise NotAllowed("not this subscriber")
    if sub.requests.filter(state=CategoryRequest.State.PENDING).exists():
        raise ValueError("a request is already waiting for a decision")
    start = c.add_months(c.month_start(today or dt.date.today()), 1)
    req = CategoryRequest.objects.create(subscription=sub, category=category, from_month=start)
    record("damaan_voluntary", request=request, user=user, target=sub.insured, step="category request",
           category=category.number)
    return req


def decide_category(officer, req: CategoryRequest, approve: bool, note: str = "", request=None) -> CategoryRequest:
    if not officer.can("damaan_approve"):
        raise NotAllowed("role lacks damaan_approve")
    if req.state != CategoryRequest.State.PENDING:
        raise ValueError("already decided")
    with transaction.atomic():
        req.state = CategoryRequest.State.APPROVED if approve else CategoryRequest.State.REFUSED
        req.note, req.decided_by = note.strip(), officer
        req.save()
        if approve:
            Term.objects.create(subscription=req.subscription, category=req.category, from_month=req.from_month)
    record(Action.DECISION, request=request, user=officer, target=req.subscription.insured, what="category change",
           decision=req.state, category=req.category.number)
    return req
