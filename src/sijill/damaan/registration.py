"""Registering establishments (by their representative, approved or sent back by an officer) and insured
persons (by their employer or by themselves), identified through the identity layer. A person who seems to be
registered already is flagged for an officer, never merged silently."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from sijill import identity
from sijill.audit.models import Action
from sijill.audit.trail import record

from .models import DuplicateFlag, Employment, Establishment, EstablishmentState, Insured


class NotAllowed(PermissionError):
    pass


def _new_number(model, prefix: str, digits: int) -> str:
    """A random number (not sequential), unique in its table."""
    while True:
        number = f"{prefix}{secrets.randbelow(10 ** digits):0{digits}d}"
        if not model.objects.filter(number=number).exists():
            return number


def represents(user, establishment: Establishment) -> bool:
    return establishment.representatives.filter(pk=user.pk).exists()


# --- establishments ---------------------------------------------------------------------------------------

ESTABLISHMENT_FIELDS = ("name", "employer", "sector", "activity", "governorate", "address", "registration_no")


def register_establishment(user, data: dict, request=None) -> Establishment:
    """The representative registers an establishment online; it waits for an officer's review."""
    with transaction.atomic():
        est = Establishment.objects.create(number=_new_number(Establishment, "E", 9),
                                           **{k: data[k] for k in ESTABLISHMENT_FIELDS})
        est.representatives.add(user)
    record("damaan_establishment", request=request, user=user, target=est, step="registered")
    return est


def correct_establishment(user, est: Establishment, data: dict, request=None) -> Establishment:
    """The representative answers a correction request: the new details go back for review."""
    if not represents(user, est):
        raise NotAllowed("not a representative of this establishment")
    if est.state != EstablishmentState.CORRECTION:
        raise NotAllowed("no correction was asked")
    for k in ESTABLISHMENT_FIELDS:
        setattr(est, k, data[k])
    est.state = EstablishmentState.PENDING
    est.save()
    record("damaan_establishment", request=request, user=user, target=est, step="corrected")
    return est


def decide_establishment(officer, est: Establishment, approve: bool, note: str, request=None) -> Establishment:
    """Approve, or ask for a correction with reasons the representative reads."""
    if not officer.can("damaan_approve"):
        raise NotAllowed("role lacks damaan_approve")
    if not approve and not note.strip():
        raise ValueError("a correction request needs its reasons")
    est.state = EstablishmentState.APPROVED if approve else EstablishmentState.CORRECTION
    est.officer_note, est.decided_by, est.decided_at = note.strip(), officer, timezone.now()
    est.save()
    record(Action.DECISION, request=request, user=officer, target=est, decision=est.state, note=est.officer_note)
    return est


# --- insured persons ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonDetails:
    """Identity details as typed: checked and normalised by the identity layer."""

    national_id: str
    given: str
    father: str
    grandfather: str
    surname: str
    mother: str
    birth_date: dt.date
    sex: str
    governorate: str

    @classmethod
    def parse(cls, raw: dict, id_optional: bool = False) -> PersonDetails:
        """Raises ``identity.IdentityError`` (naming the value) for a bad national ID, date or governorate.
        ``id_optional``: an empty national ID is accepted (records taken over from the old system)."""
        born = raw["birth_date"]
        if not isinstance(born, dt.date):
            born = identity.parse_date(str(born)).as_date()
            if born is None:
                raise identity.InvalidDate(raw["birth_date"], "the full birth date is needed")
        nid = raw.get("national_id")
        missing = nid is None or not str(nid).strip()
        return cls("" if missing and id_optional else identity.national_id(nid),
                   *(" ".join(str(raw.get(k) or "").split()) for k in ("given", "father", "grandfather", "surname",
                                                                        "mother")),
                   born, identity.sex(raw["sex"]) if raw.get("sex") else "",
                   identity.governorate(raw["governorate"]))

    def name_key(self) -> str:
        chain = identity.parse_name(given=self.given, father=self.father, grandfather=self.grandfather,
                                    surname=self.surname, mother=self.mother)
        return " ".join(p or "" for p in chain.canonical[:3]) + f"|{chain.canonical.mother or ''}"


def _same_person(a: Insured, d: PersonDetails) -> bool:
    return a.name_key == d.name_key() and a.birth_date == d.birth_date


def find_or_register(details: PersonDetails, *, actor, request=None) -> tuple[Insured, bool]:
    """The insured record for these details: the existing one when the national ID, the name chain and the birth
    date agree; otherwise a new record, flagged against any record it may duplicate (same national ID with
    other details, or the same name chain, mother and birth date under another national ID)."""
    key = details.name_key()
    same_id = list(Insured.objects.filter(national_id=details.national_id)) if details.national_id else []
    for other in same_id:
        if _same_person(other, details):
            return other, False
    same_person = list(Insured.objects.filter(name_key=key, birth_date=details.birth_date)
                       .exclude(national_id=details.national_id))
    if not details.national_id:  # taken over without a national ID: the same record again is that record
        known = Insured.objects.filter(name_key=key, birth_date=details.birth_date, national_id="",
                                       mother=details.mother).first()
        if known is not None:
            return known, False
    with transaction.atomic():
        person = Insured.objects.create(number=_new_number(Insured, "", 10), name_key=key,
                                        **{k: getattr(details, k) for k in PersonDetails.__dataclass_fields__})
        for other in same_id:
            _flag(other, person, "same national ID, other name chain or birth date")
        for other in same_person:
            _flag(other, person, "same name chain, mother and birth date, other national ID")
    who = {"actor": actor} if isinstance(actor, str) else {"user": actor}
    record("damaan_insured", request=request, **who, target=person, step="registered",
           flagged=len(same_id) + len(same_person))
    return person, True


def _flag(first: Insured, second: Insured, reason: str) -> None:
    try:
        with transaction.atomic():
            DuplicateFlag.objects.create(first=first, second=second, reason=reason)
    except IntegrityError:
        pass


def hire(user, est: Establishment, details: PersonDetails, *, start: dt.date, wage: int, allowances: int = 0,
         profession: str = "", request=None) -> Employment:
    """The employer registers a worker: the person (found or new) and an employment spell at ``est``."""
    if not represents(user, est):
        raise NotAllowed("not a representative of this establishment")
    if est.state != EstablishmentState.APPROVED:
        raise NotAllowed("the establishment is not approved yet")
    person, _ = find_or_register(details, actor=user, request=request)
    if person.spells.filter(establishment=est, end__isnull=True).exists():
        raise ValueError("this worker already has an open employment spell at this establishment")
    spell = Employment.objects.create(insured=person, establishment=est, start=start, wage=wage,
                                      allowances=allowances, profession=profession)
    record("damaan_employment", request=request, user=user, target=person, establishment=est.number, step="start",
           start=start.isoformat())
    return spell


def end_spell(user, spell: Employment, end: dt.date, request=None) -> Employment:
    if not represents(user, spell.establishment):
        raise NotAllowed("not a representative of this establishment")
    if end < spell.start:
        raise ValueError("the end of a spell cannot be before its start")
    spell.end = end
    spell.save(update_fields=["end"])
    record("damaan_employment", request=request, user=user, target=spell.insured,
           establishment=spell.establishment.number, step="end", end=end.isoformat())
    return spell


def claim_record(user, details: PersonDetails, request=None) -> Insured:
    """A worker's account is tied to their insured record (found by national ID, name chain and birth date, or
    new). A record already tied to another account is not handed over."""
    person, _ = find_or_register(details, actor=user, request=request)
    if person.user_id and person.user_id != user.pk:
        raise NotAllowed("this record is tied to another account; the directorate can help")
    person.user = user
    person.save(update_fields=["user"])
    return person
