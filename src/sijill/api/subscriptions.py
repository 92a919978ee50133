"""The registry as a subscriber (DCI registry core ``subscribe`` / ``on-subscribe`` / ``unsubscribe``): it asks
a civil registry, at the DCI base URL registered for it, to notify deaths. The civil registry confirms with a
subscription code on ``/registry/on-subscribe``; its notifications then arrive on ``/registry/notify``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils import timezone

from sijill.audit.trail import record

from .callbacks import deliver, signed_body
from .envelope import VERSION
from .models import Partner, Subscription

REG_TYPE = "ns:org:RegistryType:CRVS"


class SubscribeFailed(Exception):
    """A subscription the registry could not send; the text says why."""


def _header(action: str, partner: Partner) -> dict:
    return {"version": VERSION, "message_id": str(uuid.uuid4()), "message_ts": timezone.now().isoformat(),
            "action": action, "sender_id": settings.API_RECEIVER_ID, "receiver_id": partner.sender_id,
            "total_count": 1, "is_msg_encrypted": False}


def _civil_registry(sender_id: str) -> Partner:
    partner = Partner.objects.filter(sender_id=sender_id, civil_registry=True, active=True).first()
    if partner is None or not partner.callback_url:
        raise SubscribeFailed(f"{sender_id} is not a DCI partner registered as a civil registry with a base URL.")
    return partner


def subscribe(sender_id: str, *, actor: str = "system") -> Subscription:
    """Ask the civil registry ``sender_id`` to notify every death registered from today on."""
    partner = _civil_registry(sender_id)
    sub = Subscription.objects.create(partner=partner, reference_id=uuid.uuid4().hex, transaction_id=uuid.uuid4().hex)
    today = timezone.localdate().isoformat()
    message = {"transaction_id": sub.transaction_id, "subscribe_request": [{
        "reference_id": sub.reference_id, "timestamp": timezone.now().isoformat(),
        "subscribe_criteria": {"version": VERSION, "reg_type": REG_TYPE, "reg_event_type": "death",
                               "filter_type": "predicate",
                               "filter": [{"seq_num": 1, "expression1": {"attribute_name": "deathdate",
                                                                         "operator": "ge",
                                                                         "attribute_value": today}}],
                               "notify_record_type": "person"}}]}
    error = deliver(partner.sender_id, "registry/subscribe", signed_body(_header("subscribe", partner), message))
    if error:
        sub.status, sub.reason = Subscription.Status.REJECTED, error[:999]
        sub.save(update_fields=["status", "reason", "updated_at"])
    record("dci_subscribe", actor=actor, target_type="subscription", target_id=sub.reference_id,
           partner=partner.sender_id, event="death", sent=not error, **({"error": error} if error else {}))
    if error:
        raise SubscribeFailed(error)
    return sub


def confirmed(sender_id: str, message: dict) -> int:
    """Apply an ``on-subscribe`` from ``sender_id``; returns how many of its subscriptions it named."""
    done = 0
    for item in message.get("subscribe_response") or []:
        sub = Subscription.objects.filter(partner__sender_id=sender_id, reference_id=item.get("reference_id")).first()
        if sub is None:
            continue
        codes = [s.get("code") for s in item.get("subscriptions") or [] if s.get("code")]
        if item.get("status") == "succ" and codes:
            sub.status, sub.code, sub.reason = Subscription.Status.SUBSCRIBED, codes[0], ""
        elif item.get("status") == "rjct":
            sub.status = Subscription.Status.REJECTED
            sub.reason = f"{item.get('status_reason_code', '')} {item.get('status_reason_message', '')}".strip()
        sub.save(update_fields=["status", "code", "reason", "updated_at"])
        record("dci_subscribe", actor=f"api:{sender_id}", target_type="subscription", target_id=sub.reference_id,
               partner=sender_id, status=sub.status, code=sub.code)
        done += 1
    return done


def unsubscribe(sender_id: str, *, actor: str = "system") -> int:
    """End the registry's subscriptions at the civil registry ``sender_id``; returns how many."""
    partner = _civil_registry(sender_id)
    subs = list(Subscription.objects.filter(partner=partner, status=Subscription.Status.SUBSCRIBED))
    if not subs:
        return 0
    message = {"transaction_id": uuid.uuid4().hex, "timestamp": timezone.now().isoformat(),
               "subscription_codes": [s.code for s in subs]}
    error = deliver(partner.sender_id, "registry/unsubscribe", signed_body(_header("unsubscribe", partner), message))
    if error:
        raise SubscribeFailed(error)
    Subscription.objects.filter(pk__in=[s.pk for s in subs]).update(status=Subscription.Status.UNSUBSCRIBED,
                                                                   updated_at=timezone.now())
    record("dci_unsubscribe", actor=actor, target_type="partner", target_id=partner.sender_id,
           codes=[s.code for s in subs])
    return len(subs)
