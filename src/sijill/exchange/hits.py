"""Storing the hits the registry opened (``sijill.pprl.registry.open_hits``) against its persons, all at once."""

from __future__ import annotations

import math

from django.db import transaction

from sijill.pprl.registry import OpenedHit
from sijill.registry.models import Person

from .models import Agency, Hit, HitReview, MatchClass, Run

_BATCH = 2_000


class UnknownRecords(ValueError):
    """Hits name registry records or agencies the web system does not know."""


def store_opened_hits(run: Run, rows: list[OpenedHit]) -> list[Hit]:
    """Store ``rows`` (``open_hits(...).rows``) as the run's hits, in one transaction.

    Idempotent for a run: the run's earlier hits are replaced, so a run stored twice has its hits once.
    A hit naming a registry record or an agency the system does not know stops the whole store.
    """
    record_ids = {str(r.registry_record_id) for r in rows}
    persons: dict[str, int] = {}
    ids = sorted(record_ids)
    for start in range(0, len(ids), _BATCH):
        persons.update(Person.objects.filter(record_id__in=ids[start:start + _BATCH]).values_list("record_id", "pk"))
    agencies = {a.code: a for a in Agency.objects.filter(code__in={r.agency for r in rows})}
    missing_people = record_ids - set(persons)
    missing_agencies = {r.agency for r in rows} - set(agencies)
    if missing_people or missing_agencies:
        raise UnknownRecords(f"{len(missing_people)} registry records and agencies "
                             f"{sorted(missing_agencies)} of the hits are unknown to the registry "
                             f"(e.g. {sorted(missing_people)[:3]})")
    hits = [_hit(run, row, persons[str(row.registry_record_id)], agencies[row.agency]) for row in rows]
    with transaction.atomic():
        Hit.objects.filter(run=run).delete()
        return Hit.objects.bulk_create(hits, batch_size=_BATCH)


def explanation_of(hit: OpenedHit) -> list[dict]:
    """The hub's per-field explanation of a hit, as stored (a list of ``{field, level, weight}``)."""
    return [level.as_dict() for level in hit.explanation]


def _hit(run: Run, row: OpenedHit, person_id: int, agency: Agency) -> Hit:
    match_class = row.match_class
    return Hit(run=run, cycle_id=run.cycle_id, person_id=person_id, agency=agency,
               partner_record_id=str(row.partner_record_id or ""), match_class=match_class,
               probability=number(row.probability), match_weight=number(row.match_weight),
               explanation=explanation_of(row), payload=dict(row.payload),
               review=HitReview.PENDING if match_class == MatchClass.REVIEW else HitReview.NOT_NEEDED)


def number(value) -> float:
    """The value as a float; infinity is kept (the exact class has an infinite match weight: it is not
    weighed), an unknown value is 0."""
    value = float(value) if value is not None else 0.0
    return 0.0 if math.isnan(value) else value
