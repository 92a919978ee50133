"""What the exchange pages show and decide: the feeds' state, and the review of hits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from .models import Agency, Agreement, Hit, HitReview, Package, PackageStatus


@dataclass(frozen=True)
class Feed:
    agency: Agency
    agreement: Agreement | None
    last: Package | None
    days_since: int | None
    overdue: bool


def feeds(today: dt.date | None = None) -> list[Feed]:
    """Each active agency's last accepted package, and whether its feed is overdue under its agreement."""
    today = today or timezone.localdate()
    last_ids = (Package.objects.filter(status=PackageStatus.ACCEPTED, agency__isnull=False).values("agency_id")
                .annotate(last=Max("id")).values_list("last", flat=True))
    last = {p.agency_id: p for p in Package.objects.filter(id__in=list(last_ids)).select_related("cycle")}
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
