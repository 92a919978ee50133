"""Month close and distribution. The close is a batch job (the worker runs it, with progress): every card's
entitlement for the month from its members with a share and the months restored to it by lifted blocks; the
agents' allocations follow. An agent records each collection (the head, or a named proxy)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.tasks import task
from django.utils import timezone

from sijill.audit.trail import record

from .baskets import basket_on
from .models import (
    Block,
    BlockState,
    Card,
    CloseState,
    Distribution,
    Entitlement,
    MemberStatus,
    MonthClose,
)

CHUNK = 5_000


class CloseError(ValueError):
    pass


def first_of(month: dt.date) -> dt.date:
    return month.replace(day=1)


def queue_close(month: dt.date, *, user=None, request=None) -> MonthClose:
    """Queue the close of ``month`` for the background worker (``sijill worker``)."""
    month = first_of(month)
    version, _ = basket_on(month)
    with transaction.atomic():
        close = MonthClose.objects.filter(month=month).first()
        if close is not None and close.state in (CloseState.QUEUED, CloseState.RUNNING, CloseState.DONE):
            raise CloseError(f"the month {month:%Y-%m} is already {close.get_state_display()}")
        close = close or MonthClose(month=month, queued_at=timezone.now())
        close.state, close.basket, close.error = CloseState.QUEUED, version, ""
        close.started_by = user if getattr(user, "pk", None) else None
        close.progress_total, close.progress_done = Card.objects.count(), 0
        close.save()
        close_month_task.enqueue(close.pk)
    record("decision", request=request, user=user, actor=None if user else "cli", target_type="monthclose",
           target_id=f"{month:%Y-%m}", step="close queued")
    return close


def execute_close(close_id: int) -> MonthClose:
    """The worker's job: entitlements in chunks of cards, progress after each; a failure leaves it failed."""
    with transaction.atomic():
        close = MonthClose.objects.select_for_update().get(pk=close_id)
        if close.state != CloseState.QUEUED:
            return close
        close.state = CloseState.RUNNING
        close.save(update_fields=["state"])
    try:
        _close(close)
    except Exception as e:  # the job's record says why; it may be queued again
        MonthClose.objects.filter(pk=close.pk).update(state=CloseState.FAILED, error=f"{type(e).__name__}: {e}")
        raise
    close.refresh_from_db()
    return close


def _close(close: MonthClose) -> None:
    Entitlement.objects.filter(close=close).delete()
    month_end = (close.month + dt.timedelta(days=32)).replace(day=1)
    restored = dict(Block.objects.filter(state=BlockState.LIFTED, decided_on__gte=close.month,
                                         decided_on__lt=month_end)
                    .values("member__card").annotate(n=Sum("months_restored")).values_list("member__card", "n"))
    cards = (Card.objects.order_by("pk")
             .annotate(people=Count("members", filter=Q(members__status=MemberStatus.ACTIVE)))
             .values_list("pk", "agent_id", "people"))
    last, done = 0, 0
    while True:
        chunk = list(cards.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        with transaction.atomic():
            Entitlement.objects.bulk_create([Entitlement(close=close, card_id=pk, agent_id=agent, people=people,
                                                         restored_months=restored.get(pk, 0))
                                             for pk, agent, people in chunk], batch_size=2_000)
        last, done = chunk[-1][0], done + len(chunk)
        MonthClose.objects.filter(pk=close.pk).update(progress_done=done)
    sums = Entitlement.objects.filter(close=close).aggregate(cards=Count("pk"), people=Sum("people"),
                                                               restored=Sum("restored_months"))
    _, items = basket_on(close.month)
    shares = (sums["people"] or 0) + (sums["restored"] or 0)
    totals = {"cards": sums["cards"], "people": sums["people"] or 0, "restored_months": sums["restored"] or 0,
              "quantities": {i.code: str(i.per_person * shares) for i in items}}
    MonthClose.objects.filter(pk=close.pk).update(state=CloseState.DONE, totals=totals, finished_at=timezone.now(),
                                                  progress_done=done)


@task(queue_name="default")
def close_month_task(close_id: int) -> None:
    execute_close(close_id)


def card_quantities(entitlement: Entitlement) -> dict[str, Decimal]:
    _, items = basket_on(entitlement.close.month)
    shares = entitlement.people + entitlement.restored_months
    return {i.code: i.per_person * shares for i in items}


def record_collection(card: Card, agent, *, month: dt.date, by: str, proxy_name: str = "", user=None,
                      request=None) -> Distribution:
    """The agent records that ``card`` collected ``month``'s basket, by its head or a named proxy."""
    if card.agent_id != agent.pk:
        raise CloseError("this card is not served by this agent")
    if by not in ("head", "proxy") or (by == "proxy" and not proxy_name.strip()):
        raise CloseError("say who collected: the head, or the proxy's name")
    try:
        with transaction.atomic():
            done = Distribution.objects.create(card=card, month=first_of(month), agent=agent,
                                               collected_at=timezone.now(), collected_by=by,
                                               proxy_name=proxy_name.strip(),
                                               recorded_by=user if getattr(user, "pk", None) else None)
    except IntegrityError:
        raise CloseError("this card already collected this month's basket") from None
    record("ration_collection", request=request, user=user, target=card, month=f"{month:%Y-%m}", by=by)
    return done
