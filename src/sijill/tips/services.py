"""What can happen to a tip: recorded (the caller sealed), matched and confirmed to a person (a case opened
or joined), closed, its caller opened by a tip officer with a reason, its status told to the caller.
Every step is in the audit trail; no audit entry ever holds the caller's identity."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone

from sijill.audit.models import AuditEntry
from sijill.audit.trail import client_ip, record
from sijill.identity import to_ascii_digits

from . import sealing
from .matching import normalized_governorate, subject_key
from .models import Tip, TipState

CALLER_FIELDS = ("name", "phone", "contact")
# A caller checks their own number; many unknown numbers from one address is someone trying numbers.
STATUS_MISSES, STATUS_WINDOW = 20, dt.timedelta(minutes=15)


class NotAllowed(PermissionError):
    """The user's role may not do this."""


class TooManyTries(PermissionError):
    """Too many unknown tip numbers from one address lately: the status page stops answering it for a while."""


def new_reference() -> str:
    """Ten random digits: easy to read out on the phone, not guessable from another caller's number."""
    while True:
        reference = f"{secrets.randbelow(10**10):010d}"
        if not Tip.objects.filter(reference=reference).exists():
            return reference


def clean_reference(text: str) -> str:
    """A reference as a caller may type it: Arabic-Indic digits, spaces or dashes."""
    return "".join(ch for ch in to_ascii_digits(text or "") if ch.isdigit())


def record_tip(*, user, subject: dict, category: str, allegation: str, caller: dict, request=None) -> Tip:
    """Save a tip. ``subject`` has name, mother, national_id, governorate, address (any may be empty);
    ``caller`` has name, phone and contact, sealed before anything is written."""
    if not user.can("record_tips"):
        raise NotAllowed("role lacks record_tips")
    ciphertext, key = sealing.seal({k: (caller.get(k) or "").strip() for k in CALLER_FIELDS})
    governorate = normalized_governorate(subject.get("governorate", "")) or subject.get("governorate", "").strip()
    tip = Tip(reference=new_reference(), recorded_by=user, category=category, allegation=allegation.strip(),
              subject_name=" ".join(subject.get("name", "").split()),
              subject_mother=" ".join(subject.get("mother", "").split()),
              subject_national_id=to_ascii_digits(subject.get("national_id", "")).strip(),
              subject_governorate=governorate, subject_address=subject.get("address", "").strip(),
              caller_sealed=ciphertext, sealed_with=key)
    tip.subject_key = subject_key(tip.subject_name, tip.subject_national_id, tip.subject_governorate)
    tip.save()
    record("tip_recorded", request=request, user=user, target=tip, category=category,
           caller_given=bool(any(caller.get(k) for k in CALLER_FIELDS)))
    return tip


def same_subject(tip: Tip):
    """Other tips about the same subject: confirmed to the same person, or naming the same subject."""
    either = Q(pk__in=[])
    if tip.person_id:
        either |= Q(person_id=tip.person_id)
    if tip.subject_key:
        either |= Q(subject_key=tip.subject_key)
    return Tip.objects.filter(either).exclude(pk=tip.pk)


def confirm(tip: Tip, person, *, user, request=None):
    """The tip is about ``person``: open or join their case, and link to it this tip and the unconfirmed tips
    that gave the same national ID (tips that only share a name may be about a namesake: each is confirmed
    on its own)."""
    from sijill.cases.services import open_or_join_case

    if not user.can("review_tips"):
        raise NotAllowed("role lacks review_tips")
    with transaction.atomic(using=router.db_for_write(Tip)):
        case = open_or_join_case(person, source="tip", actor=user,
                                 reason=f"tip {tip.reference}: {tip.get_category_display()}")
        group = [tip]
        if tip.subject_key.startswith("nid:"):
            group += Tip.objects.filter(subject_key=tip.subject_key, person__isnull=True).exclude(
                pk=tip.pk).exclude(state=TipState.CLOSED)
        now = timezone.now()
        for t in group:
            t.person, t.case, t.state = person, case, TipState.UNDER_REVIEW
            t.confirmed_by, t.confirmed_at = user, now
            t.save(update_fields=["person", "case", "state", "confirmed_by", "confirmed_at"])
        record("tip_confirmed", request=request, user=user, target=tip, person=person.record_id,
               case=case.reference, grouped=[t.reference for t in group[1:]])
    return case


def close(tip: Tip, note: str, *, user, request=None) -> Tip:
    """Close a tip that cannot be followed (nobody found, too little said, not an allegation)."""
    if not user.can("review_tips"):
        raise NotAllowed("role lacks review_tips")
    tip.state, tip.closed_note = TipState.CLOSED, note.strip()
    tip.save(update_fields=["state", "closed_note"])
    record("tip_closed", request=request, user=user, target=tip, note=tip.closed_note)
    return tip


def open_caller(tip: Tip, reason: str, *, user, request=None) -> dict:
    """The caller's name and contact, for a tip officer who says why; the opening (never the identity) is
    written to the audit trail before anything is shown."""
    if not user.can("open_tip_caller"):
        raise NotAllowed("role lacks open_tip_caller")
    reason = reason.strip()
    if len(reason) < 10:
        raise ValueError("a reason of at least 10 characters is needed to open a caller's identity")
    details = sealing.unseal(tip.caller_sealed, tip.sealed_with)
    record("tip_caller_opened", request=request, user=user, target=tip, reason=reason)
    return details


def public_status(reference: str, request=None) -> str | None:
    """received or closed for a tip number, or None when there is no such tip. Never "under review": that
    would tell anyone who phones in a tip about a neighbour that the neighbour is a beneficiary. Refused (and
    not written to the audit trail) to an address that tried too many unknown numbers lately."""
    ip = client_ip(request)
    if ip and AuditEntry.objects.filter(action="tip_status", ip=ip, at__gt=timezone.now() - STATUS_WINDOW,
                                        details__contains='"found":false').count() >= STATUS_MISSES:
        raise TooManyTries(ip)
    tip = Tip.objects.select_related("case").filter(reference=clean_reference(reference)).first()
    record("tip_status", request=request, target_type="tip", target_id=clean_reference(reference)[:64],
           found=tip is not None)
    if tip is None:
        return None
    return TipState.CLOSED if tip.public_status == TipState.CLOSED else TipState.RECEIVED
