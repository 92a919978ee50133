"""Citizens updating their own card: sign-in with the card number, the head's national ID and a PIN issued at
the centre; change requests that wait in their centre's queue; nothing changes before a clerk decides."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sijill import identity
from sijill.audit.models import AuditEntry
from sijill.audit.trail import client_ip, record
from sijill.identity import to_ascii_digits as ascii_digits
from sijill.registry.importing import kinds

from .history import log_event
from .models import Agent, Card, ChangeRequest, Member, MemberStatus, RequestKind, RequestState

PIN_DIGITS = 6
IP_FACTOR = 4  # one address may fail this many times more than one card number


class RequestError(ValueError):
    """A request or decision that cannot be taken as asked; the message is for the person asking."""


def issue_pin(card: Card, user, request=None) -> str:
    """A new PIN for the head of household (the old one stops working); shown once to the clerk."""
    pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
    card.pin_hash, card.pin_issued_at = make_password(pin), timezone.now()
    card.save(update_fields=["pin_hash", "pin_issued_at"])
    log_event(card, "pin_issued", source="centre", user=user)
    record("ration_pin", request=request, user=user, actor=None if user else "cli", target=card)
    return pin


def sign_in(card_number: str, head_national_id: str, pin: str, request=None) -> Card | None:
    """The card when all three agree, else ``None`` (the same answer whatever was wrong: no enumeration).
    Raises ``PermissionError`` while this card or address is locked out by too many failures."""
    number = ascii_digits(card_number or "").strip()
    if locked(number, client_ip(request)):
        raise PermissionError("too many attempts")
    card = Card.objects.filter(number=number).first()
    ok = False
    if card is not None and card.pin_hash:
        try:
            nid = identity.national_id(head_national_id or "")
        except identity.IdentityError:
            nid = ""
        head = card.head()
        ok = bool(nid) and head is not None and nid in (head.national_id, head.linked_national_id) \
            and check_password(ascii_digits(pin or "").strip(), card.pin_hash)
    record("ration_portal_login" if ok else "ration_portal_failed", request=request, actor="household",
           target_type="card", target_id=number[:64])
    return card if ok else None


def locked(number: str, ip: str | None) -> bool:
    """Too many failed sign-ins lately for this card number (since its last success), or from this address
    (``IP_FACTOR`` times more: a shared gateway); counted from the audit trail, so across every server process."""
    now = timezone.now()
    recent = AuditEntry.objects.filter(at__gt=now - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES))
    last_ok = recent.filter(action="ration_portal_login", target_id=number[:64]).order_by("-at").values_list(
        "at", flat=True).first()
    card_failures = recent.filter(action="ration_portal_failed", target_id=number[:64])
    if last_ok:
        card_failures = card_failures.filter(at__gt=last_ok)
    if card_failures.count() >= settings.LOGIN_MAX_FAILURES:
        return True
    return bool(ip) and recent.filter(action="ration_portal_failed", ip=ip).count() >= \
        settings.LOGIN_MAX_FAILURES * IP_FACTOR


def _number() -> str:
    while True:
        n = f"{secrets.randbelow(10**8):08d}"
        if not ChangeRequest.objects.filter(number=n).exists():
            return n


def submit(card: Card, kind: str, data: dict, *, member: Member | None = None, document=None,
           request=None) -> ChangeRequest:
    if member is not None and member.card_id != card.pk:
        raise RequestError("that person is not on your card")
    if kind == RequestKind.NEWBORN and not document:
        raise RequestError("attach a photo of the birth certificate")
    if kind in (RequestKind.DEATH, RequestKind.NAME) and member is None:
        raise RequestError("choose the person on your card")
    req = ChangeRequest.objects.create(number=_number(), card=card, kind=kind, member=member, data=data,
                                       document=document or "", submitted_at=timezone.now())
    log_event(card, "request_submitted", member=member, source="household", reason=req.get_kind_display(),
              request=req.number)
    record("ration_request", request=request, actor="household", target=card, number=req.number, kind=kind)
    return req


def checks(req: ChangeRequest) -> list[dict]:
    """What the clerk sees beside a request: the identity layer's checks and any duplicate on another card."""
    out = []
    d = req.data
    if req.kind == RequestKind.NEWBORN:
        for label, value, reader in (("name", d.get("given", ""), kinds.name),
                                     ("birth date", d.get("birth_date", ""), kinds.date)):
            try:
                reader(value)
                out.append({"check": label, "passed": True, "note": value})
            except kinds.Invalid as e:
                out.append({"check": label, "passed": False, "note": e.reason})
        try:
            born = identity.parse_date(d.get("birth_date", "")).as_date()
            if born and born > timezone.localdate():
                out.append({"check": "birth date", "passed": False, "note": "in the future"})
        except identity.IdentityError:
            pass
        same = Member.objects.filter(given=d.get("given", ""), birth_date=d.get("birth_date", ""),
                                     mother=d.get("mother", "")).exclude(card=req.card)
        if d.get("national_id"):
            same = same | Member.objects.filter(Q(national_id=d["national_id"]) |
                                                Q(linked_national_id=d["national_id"])).exclude(card=req.card)
        cards = sorted({m.card.number for m in same.select_related("card")[:5]})
        out.append({"check": "on another card", "passed": not cards, "note": ", ".join(cards)})
    if req.kind == RequestKind.NAME:
        try:
            kinds.name(d.get("given", ""))
            out.append({"check": "name", "passed": True, "note": d.get("given", "")})
        except kinds.Invalid as e:
            out.append({"check": "name", "passed": False, "note": e.reason})
    if req.member is not None:
        out.append({"check": "national card", "passed": req.member.link_state == "linked",
                    "note": req.member.get_link_state_display()})
    return out


def decide(req: ChangeRequest, user, *, approve: bool, reason: str, on: dt.date | None = None) -> ChangeRequest:
    """The clerk's decision; an approval applies the change to the card, with its history."""
    if req.state != RequestState.SUBMITTED:
        raise RequestError("this request was already decided")
    if not reason.strip():
        raise RequestError("say why: the citizen reads the reason")
    with transaction.atomic():
        req.state = RequestState.APPROVED if approve else RequestState.REFUSED
        req.decided_by, req.decided_at, req.reason = user, timezone.now(), reason.strip()
        req.save()
        if approve:
            _apply(req, user)
        log_event(req.card, "request_approved" if approve else "request_refused", member=req.member,
                  source="centre", user=user, reason=reason, request=req.number)
    return req


def _apply(req: ChangeRequest, user) -> None:
    d, card = req.data, req.card
    source = f"request:{req.number}"
    if req.kind == RequestKind.NEWBORN:
        born = Member.objects.create(card=card, record_id=f"REQ-{req.number}", given=d["given"],
                                     father=d.get("father", ""), grandfather=d.get("grandfather", ""),
                                     surname=d.get("surname", ""), mother=d.get("mother", ""),
                                     birth_date=str(kinds.date(d["birth_date"])), sex=d.get("sex", ""),
                                     relation="son" if d.get("sex") == "M" else "daughter")
        log_event(card, "member_added", member=born, source=source, user=user, reason="newborn")
    elif req.kind == RequestKind.DEATH:
        Member.objects.filter(pk=req.member_id).update(status=MemberStatus.REMOVED)
        log_event(card, "member_removed", member=req.member, source=source, user=user, reason="death reported",
                  died_on=d.get("died_on", ""))
    elif req.kind == RequestKind.NAME:
        fields = {k: d[k] for k in ("given", "father", "grandfather", "surname") if d.get(k)}
        before = {k: getattr(req.member, k) for k in fields}
        Member.objects.filter(pk=req.member_id).update(**fields)
        log_event(card, "name_corrected", member=req.member, source=source, user=user, before=before, after=fields)
    elif req.kind == RequestKind.MOVE:
        agent = Agent.objects.select_related("centre").filter(number=d.get("agent", "")).first()
        if agent is None:
            raise RequestError("no agent has that number")
        before = {"agent": card.agent.number, "centre": card.centre.code}
        card.agent, card.centre, card.governorate = agent, agent.centre, agent.centre.governorate
        card.save(update_fields=["agent", "centre", "governorate"])
        log_event(card, "card_moved", source=source, user=user, before=before,
                  after={"agent": agent.number, "centre": agent.centre.code})
