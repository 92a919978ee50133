"""Receiving a visit report, from the form or from the phone's outbox: once per ``client_uuid``, however
often the phone resends it after a dropped connection."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext

from sijill.common.signature import drawn_signature
from sijill.registry import addresses

from . import checks, workflow
from .models import Case, CaseState, Outcome, Visit, VisitPhoto

CONDITIONS = ("poor", "modest", "adequate", "comfortable", "affluent")
MAX_PHOTO_BYTES = 3 * 1024 * 1024
MAX_PHOTOS = 6


class VisitRefused(ValueError):
    """The report cannot be accepted; the message says why (shown to the researcher)."""


def _coordinate(value, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise VisitRefused(gettext("The GPS position is not a number.")) from None
    if abs(number) > limit:
        raise VisitRefused(gettext("The GPS position is out of range."))
    return number


def photo_from_data_url(text: str) -> ContentFile:
    """A photo the phone kept as a data: URL while offline."""
    head, _, body = (text or "").partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise VisitRefused(gettext("A photo must be a JPEG or PNG image."))
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise VisitRefused(gettext("A photo could not be read.")) from None
    if len(raw) > MAX_PHOTO_BYTES:
        raise VisitRefused(gettext("A photo is larger than 3 MB."))
    ext = "png" if raw.startswith(b"\x89PNG") else "jpg" if raw.startswith(b"\xff\xd8") else None
    if ext is None:
        raise VisitRefused(gettext("A photo must be a JPEG or PNG image."))
    return ContentFile(raw, name=f"{uuid.uuid4().hex}.{ext}")


def _check_image(photo) -> None:
    """An uploaded photo is a JPEG or PNG of at most 3 MB (whatever its name says)."""
    if photo.size > MAX_PHOTO_BYTES:
        raise VisitRefused(gettext("A photo is larger than 3 MB."))
    photo.seek(0)
    head = photo.read(8)
    photo.seek(0)
    if not (head.startswith(b"\xff\xd8") or head.startswith(b"\x89PNG")):
        raise VisitRefused(gettext("A photo must be a JPEG or PNG image."))


def submit(case: Case, researcher, data: dict, photos=(), request=None) -> tuple[Visit, bool]:
    """Store the report and move the case to ``visited``. Returns (visit, created); a resend of a report
    already received returns the stored visit unchanged."""
    try:
        client_uuid = uuid.UUID(str(data.get("client_uuid") or uuid.uuid4()))
    except ValueError:
        raise VisitRefused(gettext("The report's identifier is not valid.")) from None
    existing = Visit.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.case_id != case.pk or existing.researcher_id != researcher.pk:
            raise VisitRefused(gettext("This report was already received for another case."))
        return existing, False
    if case.assigned_to_id != researcher.pk:
        raise VisitRefused(gettext("The case is not assigned to you."))
    if case.state != CaseState.ASSIGNED:
        raise VisitRefused(gettext("The case is not waiting for a visit."))
    condition = data.get("living_conditions") or ""
    if condition and condition not in CONDITIONS:
        raise VisitRefused(gettext("Unknown living conditions."))
    recommendation = data.get("recommendation") or ""
    if recommendation and recommendation not in Outcome.values:
        raise VisitRefused(gettext("The recommendation is confirm or clear."))
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise VisitRefused(gettext("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    for photo in photos:
        _check_image(photo)
    try:
        answers = checks.answers_from(case, data)
    except checks.ChecksRefused as e:
        raise VisitRefused(str(e)) from None
    present = data.get("household_present")
    visit = Visit(case=case, researcher=researcher, client_uuid=client_uuid,
                  visited_at=_when(data.get("visited_at")), observations=str(data.get("observations") or "")[:10_000],
                  household_present=None if present in (None, "") else str(present).lower() in ("1", "true", "yes",
                                                                                                 "on"),
                  living_conditions=condition, latitude=_coordinate(data.get("latitude"), 90),
                  longitude=_coordinate(data.get("longitude"), 180), recommendation=recommendation,
                  signature=drawn_signature(data.get("signature"), VisitRefused), submitted_at=timezone.now())
    try:
        with transaction.atomic(using=router.db_for_write(Visit)):
            visit.save()
            for photo in photos:
                VisitPhoto.objects.create(visit=visit, image=photo, taken_at=visit.visited_at)
            checks.save(visit, answers)
            _keep_location(case, visit)
            workflow.visited(case, visit, request=request)
    except IntegrityError:  # the same report arriving twice at once: the first one won
        return Visit.objects.get(client_uuid=client_uuid), False
    return visit, True


def _keep_location(case: Case, visit: Visit) -> None:
    """The position taken at the door joins the household's location history (for the next visit)."""
    household = getattr(getattr(case.person, "membership", None), "household", None)
    if household is not None and visit.latitude is not None and visit.longitude is not None:
        addresses.record_location(household, visit.latitude, visit.longitude, on=visit.visited_at.date(),
                                  source=f"زيارة ميدانية {case.reference}")


def _when(value) -> dt.datetime:
    if not value:
        return timezone.now()
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise VisitRefused(gettext("The visit time is not a date and time.")) from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > timezone.now() + dt.timedelta(minutes=10):
        raise VisitRefused(gettext("The visit time is in the future."))
    return when
