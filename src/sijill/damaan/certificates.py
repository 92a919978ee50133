"""The clearance certificate (سلامة الموقف): issued at once when the establishment owes nothing, refused with the
months and amounts owed otherwise; verified by anyone from its number (throttled against guessing); revoked by
itself when arrears for a month up to the end of its period appear later."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sijill.audit.trail import record

from .ledger import MonthLine, arrears
from .models import Certificate, Establishment, EstablishmentState, VerifyMiss
from .registration import NotAllowed, represents
from .tables import conditions_on

# Numbers: 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L), about 60 random bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VERIFY_MISSES = 20  # unknown numbers one address may try ...
VERIFY_WINDOW = dt.timedelta(minutes=10)  # ... in this window


def new_number() -> str:
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
        number = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if not Certificate.objects.filter(number=number).exists():
            return number


def clean_number(text: str) -> str:
    """A number as someone may type it: lower case, spaces, no dashes."""
    raw = "".join(ch for ch in (text or "").upper() if ch in ALPHABET)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""


class Refused(Exception):
    def __init__(self, owed: list[MonthLine], reason: str = ""):
        super().__init__(reason or "contributions are owed")
        self.owed, self.reason = owed, reason


def request_certificate(user, est: Establishment, today: dt.date | None = None, request=None) -> Certificate:
    """Issue at once when nothing is owed; otherwise raise ``Refused`` with the months and amounts owed."""
    today = today or dt.date.today()
    if not (represents(user, est) or user.can("damaan_staff")):
        raise NotAllowed("not a representative of this establishment")
    if est.state != EstablishmentState.APPROVED:
        raise Refused([], "the establishment is not approved")
    owed = arrears(est, today)
    if owed:
        record("damaan_certificate", request=request, user=user, target=est, step="refused",
               owed={m.month.strftime("%Y-%m"): m.owed for m in owed})
        raise Refused(owed)
    cond = conditions_on(today)
    cert = Certificate.objects.create(number=new_number(), establishment=est, issued_on=today,
                                      valid_until=today + dt.timedelta(days=cond.certificate_valid_days - 1),
                                      conditions=cond, requested_by=user)
    record("damaan_certificate", request=request, user=user, target=est, step="issued", number=cert.number)
    return cert


def revoke_on_arrears(est: Establishment, today: dt.date | None = None) -> list[Certificate]:
    """Revoke every valid certificate of ``est`` for which a month up to the end of its period is now in arrears
    (a later declaration, a correction or a missed payment)."""
    today = today or dt.date.today()
    live = list(est.certificates.filter(revoked_on__isnull=True, valid_until__gte=today))
    if not live:
        return []
    owed = arrears(est, today)
    revoked = []
    for cert in live:
        months = [m for m in owed if m.month <= cert.valid_until]
        if not months:
            continue
        with transaction.atomic():
            cert.revoked_on = today
            cert.revoked_reason = "arrears: " + ", ".join(f"{m.month:%Y-%m} ({m.owed})" for m in months)
            cert.save(update_fields=["revoked_on", "revoked_reason"])
        record("damaan_certificate", actor="system", target=est, step="revoked", number=cert.number,
               reason=cert.revoked_reason)
        revoked.append(cert)
    return revoked


def revoke_all_on_arrears(today: dt.date | None = None) -> int:
    """The daily check: a month's due date passing unpaid revokes the certificates it falls in."""
    today = today or dt.date.today()
    ids = (Certificate.objects.filter(revoked_on__isnull=True, valid_until__gte=today)
           .values_list("establishment_id", flat=True).distinct())
    return sum(len(revoke_on_arrears(est, today)) for est in Establishment.objects.filter(pk__in=list(ids)))


@dataclass(frozen=True)
class Verified:
    """All the public verification shows: the state, the establishment's name and the dates."""

    number: str
    state: str  # valid / expired / revoked
    establishment: str
    issued_on: dt.date
    valid_until: dt.date
    revoked_on: dt.date | None


class TooManyTries(PermissionError):
    pass


def verify(number: str, ip: str | None, today: dt.date | None = None) -> Verified | None:
    """The public answer for a number, or None when there is no such certificate. An address that typed too many
    unknown numbers lately gets ``TooManyTries`` for every unknown number for a while: guessing stops there, and a
    number someone holds (from the paper or its QR code) is still answered, with one query."""
    cleaned = clean_number(number)
    cert = (Certificate.objects.select_related("establishment").filter(number=cleaned).first()
            if cleaned else None)
    if cert is None:
        now = timezone.now()
        if ip and VerifyMiss.objects.filter(ip=ip, at__gt=now - VERIFY_WINDOW).count() >= VERIFY_MISSES:
            raise TooManyTries(ip)
        if ip:
            VerifyMiss.objects.create(ip=ip, at=now)
        return None
    day = today or timezone.localdate()
    return Verified(cert.number, cert.state_on(day), cert.establishment.name, cert.issued_on, cert.valid_until,
                    cert.revoked_on)
