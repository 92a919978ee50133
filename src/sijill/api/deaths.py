"""Death notifications from a civil registry (DCI ``notify``): through the identity layer to the registry's
persons, then the usual due process: a finding under the death rule in force and the person's case (never a
stop: the case goes to a visit, a notice and a human decision), and the ``death_notified`` hook (the ration
registry's block pending verification). Idempotent per sender and reference id; nothing goes back to the
sender, so it learns nothing about who is registered."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sijill.audit.trail import record
from sijill.cases.services import open_or_join_case
from sijill.eligibility import facts
from sijill.eligibility.kinds import KINDS
from sijill.eligibility.models import Finding
from sijill.eligibility.rules import in_force
from sijill.eligibility.values import date_of

from . import idtypes
from .models import DeathNotification
from .signals import death_notified

DEATH_EVENTS = {"death", "spdci-common:registryeventtype:death", "dci:death", "ns:org:registryeventtype:death"}
Outcome = DeathNotification.Outcome


class NotADeath(ValueError):
    """An event that is not a death notification the registry can read; the text says why."""


def digest(id_type: str, value: str) -> str:
    """A keyed digest of an identifier: idempotency without keeping it readable."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{id_type}:{value}".encode(), hashlib.sha256).hexdigest()


def read_event(event: dict) -> tuple[str, str, dt.date | None]:
    """(identifier type, identifier value, date of death) of a notify_event item (dci_PersonRecord fields:
    ``identifier_type``, ``identifier``, ``deathdate``)."""
    data = event.get("data") or {}
    kind = str(data.get("reg_event_type") or "death").strip().lower()
    if kind not in DEATH_EVENTS:
        raise NotADeath(f"Event type “{data.get('reg_event_type')}” is not a death; this registry takes death "
                        "notifications only.")
    person = data.get("reg_records") or {}
    if isinstance(person, list):
        person = person[0] if len(person) == 1 else {}
    if not isinstance(person, dict) or not person.get("identifier"):
        raise NotADeath("reg_records must be one person record with identifier_type, identifier and deathdate.")
    died = date_of(str(person.get("deathdate") or "")[:10])
    return str(person.get("identifier_type") or "UIN"), str(person["identifier"]), died


def check_event(event: dict) -> tuple[idtypes.IdType, str, object, dt.date]:
    """(identifier type, canonical value, persons, date of death) of an event; ``NotADeath`` says why not.
    Checks the event alone: it says nothing about whether the person is registered."""
    id_type, value, died = read_event(event)
    kind = idtypes.get(id_type)
    if kind is None:
        raise NotADeath(f"Identifier type “{id_type}” is not supported; use {', '.join(idtypes.types())}.")
    try:
        value, persons = kind.resolve(value)
    except ValueError as e:
        raise NotADeath(str(e)) from None
    if died is None:
        raise NotADeath("deathdate is missing or not a date (ISO 8601: 2026-11-20).")
    if died > timezone.localdate():
        raise NotADeath("deathdate is in the future.")
    return kind, value, persons, died


def receive(event: dict, *, sender_id: str) -> DeathNotification:
    """Act on one death event once; a re-sent event returns the first notification unchanged."""
    reference_id = str(event.get("reference_id") or "")
    known = DeathNotification.objects.filter(sender_id=sender_id, reference_id=reference_id).first()
    if known is not None:
        return known
    try:
        kind, value, persons, died = check_event(event)
    except NotADeath as e:
        return _save(sender_id, reference_id, "", None, Outcome.INVALID, reason=str(e))
    persons = list(persons.select_related("membership__household"))
    if not persons:
        return _save(sender_id, reference_id, digest(kind.code, value), died, Outcome.NOT_REGISTERED)
    cases, outcome = [], Outcome.NO_FINDING
    for person in persons:
        case = _finding_and_case(person, died, sender_id=sender_id, reference_id=reference_id)
        if case is not None:
            cases.append(case)
            outcome = Outcome.CASE
        death_notified.send(sender=DeathNotification, person=person, death_date=died, sender_id=sender_id,
                            reference_id=reference_id, case=case)
    return _save(sender_id, reference_id, digest(kind.code, value), died, outcome,
                 persons=[p.record_id for p in persons], cases=[c.reference for c in cases])


def _finding_and_case(person, died: dt.date, *, sender_id: str, reference_id: str):
    """The death rule in force over the notified date, as the cycle evaluator would run it over a hit."""
    rule = next((r for r in in_force() if r.kind == "death"), None)
    subject = facts.subjects({person.pk}).get(person.pk)
    if rule is None or subject is None:
        return None
    payload = {rule.parameters.get("date_field", "deathdate"): died.isoformat()}
    found = KINDS["death"](rule.parameters, payload, subject, timezone.localdate())
    if found is None:
        return None
    details = {"source": "civil_registry", "sender": sender_id, "reference_id": reference_id, **found.details}
    finding = Finding.objects.filter(rule__code=rule.code, person=person, effective_date=found.effective).first()
    if finding is None:
        finding = Finding.objects.create(rule=rule, person=person, enrolment_id=found.enrolment_id,
                                         effective_date=found.effective, monthly_amount_iqd=found.monthly_iqd,
                                         details=details)
    return open_or_join_case(person, source="civil_registry", actor=f"civil registry {sender_id}",
                             reason=f"death notified by {sender_id} ({reference_id}) on {died.isoformat()}",
                             findings=[finding] if finding.case_id is None else [])


def _save(sender_id, reference_id, identifier_digest, died, outcome, *, persons=(), cases=(), reason=""):
    try:
        with transaction.atomic():
            row = DeathNotification.objects.create(sender_id=sender_id, reference_id=reference_id,
                                                   identifier_digest=identifier_digest, death_date=died,
                                                   outcome=outcome, persons=list(persons), cases=list(cases))
    except IntegrityError:  # the same event arrived twice at once: the first one stands
        return DeathNotification.objects.get(sender_id=sender_id, reference_id=reference_id)
    record("death_notification", actor=f"api:{sender_id}", target_type="deathnotification", target_id=str(row.pk),
           sender=sender_id, reference_id=reference_id, outcome=outcome, persons=list(persons), cases=list(cases),
           **({"reason": reason} if reason else {}))
    return row
