"""Who a tip may be about: registry persons found with the registry's own search (the identity layer's keys),
ranked by how many of the caller's details agree. The operator confirms one; nothing is decided here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from sijill import identity
from sijill.registry.keys import chain_keys
from sijill.registry.models import Person
from sijill.registry.search import SearchQuery, search

from .models import Tip

LIMIT = 20
# Points for each detail that agrees; the rank is their sum (national ID first, then name parts).
POINTS = {"national_id": 60, "given": 10, "father": 10, "grandfather": 10, "surname": 5, "governorate": 10,
          "mother": 10, "district": 5}
SKELETON_POINTS = 6  # a name part that agrees only in its cross-script skeleton
LABELS = {"national_id": _("national ID"), "given": _("given name"), "father": _("father's name"),
          "grandfather": _("grandfather's name"), "surname": _("surname"), "governorate": _("governorate"),
          "mother": _("mother's name"), "district": _("district in the address")}


@dataclass
class Candidate:
    person: Person
    score: int = 0
    agreed: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [str(LABELS[a]) for a in self.agreed]


def normalized_national_id(text: str) -> str:
    try:
        return identity.national_id(text) if text.strip() else ""
    except identity.IdentityError:
        return ""


def normalized_governorate(text: str) -> str:
    try:
        return identity.governorate(text) if text.strip() else ""
    except identity.IdentityError:
        return ""


SUBJECT_KEY_LENGTH = 200  # Tip.subject_key's column


def subject_key(name: str, national_id: str, governorate: str) -> str:
    """What two tips about the same subject share: the national ID, else the full name keys and governorate."""
    nid = normalized_national_id(national_id)
    if nid:
        return f"nid:{nid}"
    keys = _name_keys(name)
    if keys and keys["given_key"] and keys["father_key"] and keys["grandfather_key"]:
        key = f"name:{keys['given_key']} {keys['father_key']} {keys['grandfather_key']}|{governorate}"
        # a name as long as the form allows would not fit the column: its digest groups the same way
        return key if len(key) <= SUBJECT_KEY_LENGTH else "name#" + hashlib.sha256(key.encode()).hexdigest()
    return ""


def queries(tip: Tip) -> list[SearchQuery]:
    """The registry searches a tip allows (each must be narrow enough for the registry's search)."""
    nid = normalized_national_id(tip.subject_national_id)
    name = " ".join(tip.subject_name.split())
    mother = " ".join(tip.subject_mother.split())
    found = []
    if nid:
        found.append(SearchQuery(national_id=nid))
    if name and tip.subject_governorate:
        found.append(SearchQuery(name=name, governorate=tip.subject_governorate))
    if name and mother:
        found.append(SearchQuery(name=name, mother=mother))
    return found


def candidates(tip: Tip, user) -> list[Candidate]:
    """Persons the tip may be about, best first; empty when the tip gives too little to search on."""
    people: dict[int, Person] = {}
    for query in queries(tip):
        for person in search(query, user, LIMIT).people:
            people.setdefault(person.pk, person)
    ranked = [score(tip, person) for person in people.values()]
    ranked.sort(key=lambda c: (-c.score, c.person.record_id))
    return ranked[:LIMIT]


def score(tip: Tip, person: Person) -> Candidate:
    candidate = Candidate(person)
    nid = normalized_national_id(tip.subject_national_id)
    if nid and person.national_id == nid:
        candidate.agreed.append("national_id")
    keys = _name_keys(tip.subject_name)
    if keys:
        for part in ("given", "father", "grandfather"):
            if keys[f"{part}_key"] and keys[f"{part}_key"] == getattr(person, f"{part}_key"):
                candidate.agreed.append(part)
            elif keys[f"{part}_skel"] and keys[f"{part}_skel"] == getattr(person, f"{part}_skel"):
                candidate.score += SKELETON_POINTS
        if keys["surname_key"] and keys["surname_key"] == person.surname_key:
            candidate.agreed.append("surname")
    if tip.subject_governorate and tip.subject_governorate == person.governorate:
        candidate.agreed.append("governorate")
    mother = identity.canonical(tip.subject_mother) if tip.subject_mother.strip() else ""
    if mother and (person.mother_key == mother or person.mother_key.startswith(mother + " ")):
        candidate.agreed.append("mother")
    address = identity.canonical(tip.subject_address) if tip.subject_address.strip() else ""
    if address and person.district and identity.canonical(person.district) in address:
        candidate.agreed.append("district")
    candidate.score += sum(POINTS[a] for a in candidate.agreed)
    return candidate


def _name_keys(name: str) -> dict[str, str] | None:
    name = " ".join(name.split())
    if not name or not identity.normalize_text(name):
        return None
    return chain_keys(identity.parse_name(name))
