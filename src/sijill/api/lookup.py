"""What a registry lookup by an identifier (the national ID by default) tells a caller: the least that
answers "is this person on social protection, and in which programme?".

Returned: whether the person is registered, their household number and relation to its head, and each of
the household's enrolments (programme, status, since when). Never returned: names, birth date, address,
governorate, disability, amounts, payments, other members, duplicate pairs, hits. A caller limited to some
governorates (a caseworker) finds only persons of those governorates; others are "not registered" to them.
"""

from __future__ import annotations

from sijill.registry.models import Person

from . import idtypes

MAX_RECORDS = 10  # one national ID should name one person; a few records when the registry has duplicates


class BadQuery(ValueError):
    """A search criterion the registry cannot answer. ``code`` is the DCI reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def identifier_of(query_type: str, query) -> tuple[str, str, object]:
    """(identifier type as named, canonical value, Person queryset) of a search criterion, by the identifier
    types of data/id_types.csv (Latin, Arabic-Indic or Persian digits accepted for the national ID)."""
    if query_type != "idtype-value":
        raise BadQuery("rjct.search_criteria.invalid", f"query_type “{query_type}” is not supported; use "
                       "idtype-value.")
    get = query.get if isinstance(query, dict) else (lambda name: getattr(query, name, None))
    kind = str(get("type") or "").strip().upper()
    id_type = idtypes.get(kind)
    if id_type is None:
        raise BadQuery("rjct.search_criteria.invalid", f"Identifier type “{kind}” is not supported; use "
                       f"{', '.join(idtypes.types())}.")
    try:
        value, persons = id_type.resolve(str(get("value") or ""))
    except ValueError as e:
        raise BadQuery("rjct.search_criteria.invalid", str(e)) from None
    return id_type.code, value, persons


def records_for(id_type: str, value: str, persons, user) -> list[tuple[str, dict]]:
    """(record number, minimal record) of each person the identifier names that ``user`` may see; the record
    number goes to the audit trail, not to the caller."""
    people = (persons.filter(pk__in=Person.objects.visible_to(user).values("pk"))
              .select_related("membership__household").order_by("record_id")[:MAX_RECORDS])
    return [(person.record_id, _record(person, id_type, value)) for person in people]


def _record(person: Person, id_type: str, value: str) -> dict:
    membership = getattr(person, "membership", None)
    household = membership.household if membership else None
    enrolments = []
    if household is not None:
        for e in household.enrolments.select_related("programme").order_by("start_date", "enrolment_id"):
            enrolments.append({"enrolment_id": e.enrolment_id, "programme": e.programme.code,
                               "programme_name": e.programme.name_en or e.programme.name_ar,
                               "programme_name_ar": e.programme.name_ar, "status": e.status,
                               "status_since": _date(e.status_changed_on or e.start_date)})
    return {"identifier": {"identifier_type": id_type, "identifier_value": value},
            "registered": True,
            "household_id": household.household_id if household else None,
            "relation_to_head": membership.relation if membership else None,
            "enrolments": enrolments}


def _date(value) -> str | None:
    return value.isoformat() if value else None
