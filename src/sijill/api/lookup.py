"""What a registry lookup by national ID tells a caller: the least that answers "is this person on social
protection, and in which programme?".

Returned: whether the person is registered, their household number and relation to its head, and each of
the household's enrolments (programme, status, since when). Never returned: names, birth date, address,
governorate, disability, amounts, payments, other members, duplicate pairs, hits. A caller limited to some
governorates (a caseworker) finds only persons of those governorates; others are "not registered" to them.
"""

from __future__ import annotations

from sijill import identity
from sijill.registry.models import Person

ID_TYPES = ("NATIONAL_ID",)
MAX_RECORDS = 10  # one national ID should name one person; a few records when the registry has duplicates


class BadQuery(ValueError):
    """A search criterion the registry cannot answer. ``code`` is the DCI reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def national_id_of(query_type: str, query) -> str:
    """The 12-digit national ID a search criterion names (Latin, Arabic-Indic or Persian digits accepted)."""
    if query_type != "idtype-value":
        raise BadQuery("rjct.search_criteria.invalid", f"query_type “{query_type}” is not supported; use "
                       "idtype-value.")
    kind = str(getattr(query, "type", "") or "").upper()
    if kind not in ID_TYPES:
        raise BadQuery("rjct.search_criteria.invalid", f"Identifier type “{kind}” is not supported; use "
                       f"{', '.join(ID_TYPES)}.")
    try:
        return identity.national_id(str(getattr(query, "value", "") or ""))
    except identity.InvalidIdentifier as e:
        raise BadQuery("rjct.search_criteria.invalid", f"The national ID is not valid: {e.reason}.") from None


def records_for(national_id: str, user) -> list[tuple[str, dict]]:
    """(record number, minimal record) of each person with ``national_id`` that ``user`` may see; the record
    number goes to the audit trail, not to the caller."""
    people = (Person.objects.visible_to(user).filter(national_id=national_id)
              .select_related("membership__household").order_by("record_id")[:MAX_RECORDS])
    return [(person.record_id, _record(person, national_id)) for person in people]


def _record(person: Person, national_id: str) -> dict:
    membership = getattr(person, "membership", None)
    household = membership.household if membership else None
    enrolments = []
    if household is not None:
        for e in household.enrolments.select_related("programme").order_by("start_date", "enrolment_id"):
            enrolments.append({"enrolment_id": e.enrolment_id, "programme": e.programme.code,
                               "programme_name": e.programme.name_en or e.programme.name_ar,
                               "programme_name_ar": e.programme.name_ar, "status": e.status,
                               "status_since": _date(e.status_changed_on or e.start_date)})
    return {"identifier": {"identifier_type": "NATIONAL_ID", "identifier_value": national_id},
            "registered": True,
            "household_id": household.household_id if household else None,
            "relation_to_head": membership.relation if membership else None,
            "enrolments": enrolments}


def _date(value) -> str | None:
    return value.isoformat() if value else None
