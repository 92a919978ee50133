"""What the exchange pages show and decide: the feeds' state, and the review of hits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import ExpressionWrapper, F, FloatField, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from sijill.registry.models import Enrolment, EnrolmentStatus

from .models import Agency, Agreement, Cycle, Hit, HitReview, Package, PackageStatus


@dataclass(frozen=True)
class Feed:
    agency: Agency
    agreement: Agreement | None
    last: Package | LastPackage | None
    days_since: int | None
    overdue: bool


@dataclass(frozen=True)
class LastPackage:
    """An agency's last package the hub accepted, as the dashboard shows it."""

    uploaded_at: dt.datetime
    cycle: Cycle


RECENT_CYCLES = 6


def _last_at_hub() -> dict[str, LastPackage]:
    """Per agency code, its last package accepted by the hub over the recent cycles (the packages are there)."""
    from . import hub

    last: dict[str, LastPackage] = {}
    if not hub.configured():
        return last
    for cycle in Cycle.objects.order_by("-opened_at")[:RECENT_CYCLES]:
        try:
            packages = hub.hub_packages(cycle)
        except hub.HubError:
            continue
        for p in packages:
            if p.status == "accepted" and (p.holder not in last or p.uploaded_at > last[p.holder].uploaded_at):
                last[p.holder] = LastPackage(p.uploaded_at, cycle)
    return last


def feeds(today: dt.date | None = None) -> list[Feed]:
    """Each active agency's last accepted package (at the hub; before the hub, at the registry), and whether its
    feed is overdue under its agreement."""
    today = today or timezone.localdate()
    last_ids = (Package.objects.filter(status=PackageStatus.ACCEPTED, agency__isnull=False).values("agency_id")
                .annotate(last=Max("id")).values_list("last", flat=True))
    last = {p.agency_id: p for p in Package.objects.filter(id__in=list(last_ids)).select_related("cycle")}
    at_hub = _last_at_hub()
    for agency in Agency.objects.filter(code__in=at_hub):
        here = last.get(agency.pk)
        if here is None or at_hub[agency.code].uploaded_at > here.uploaded_at:
            last[agency.pk] = at_hub[agency.code]
    rows = []
    for agency in Agency.objects.filter(active=True).prefetch_related("agreements"):
        agreement = agency.agreement_in_force(today)
        package = last.get(agency.pk)
        days = (today - timezone.localdate(package.uploaded_at)).days if package else None
        overdue = agreement is not None and (days is None or days > agreement.feed_every_days)
        rows.append(Feed(agency, agreement, package, days, overdue))
    return rows


class ReviewError(ValueError):
    pass


def review_queue(hits: QuerySet[Hit]) -> QuerySet[Hit]:
    """Hits awaiting review, those a decision is worth most first: the chance that it is the person times
    what their household is paid a month (``at_stake``, IQD), so a reviewer's first hour goes where a wrong
    payment would cost most, and a near-certain link before a doubtful one of the same amount."""
    paid = (Enrolment.objects.filter(household=OuterRef("person__membership__household"),
                                     status=EnrolmentStatus.ACTIVE)
            .values("household").annotate(total=Sum("monthly_amount_iqd")).values("total"))
    return (hits.filter(review=HitReview.PENDING)
            .annotate(at_stake=Coalesce(Subquery(paid), 0))
            .annotate(worth=ExpressionWrapper(F("probability") * F("at_stake"), output_field=FloatField()))
            .order_by(F("worth").desc(), F("probability").desc(), "pk"))


def review_hit(hit: Hit, decision: str, note: str, *, user, request=None) -> Hit:
    """An analyst's decision on a review hit: the same person or not, with why (audited)."""
    from sijill.audit.trail import record

    if decision not in (HitReview.ACCEPTED, HitReview.REJECTED):
        raise ReviewError(decision)
    if hit.review != HitReview.PENDING:
        raise ReviewError(hit.review)
    hit.review, hit.review_note = decision, note.strip()
    hit.reviewed_by, hit.reviewed_at = user, timezone.now()
    hit.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    record("hit_review", request=request, user=user, target=hit.person, hit=hit.pk, agency=hit.agency.code,
           decision=decision, note=hit.review_note)
    return hit
