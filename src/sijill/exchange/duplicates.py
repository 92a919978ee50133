"""Possible double enrolments the hub's ``--dedupe`` found in the registry's package, stored as the registry's
duplicate pairs for a person to review (``/registry/duplicates/``).

The dedupe output has the hits' format with the registry on both sides; ``pprl.open_hits`` opens it with the
registry's map (its first record) and the registry's own sealed payload (the other record's id). Nothing is
decided here: every pair, exact and probable included, waits for a reviewer, and a pair already known keeps its
row and its decision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction

from sijill.pprl.registry import OpenedHit
from sijill.registry.models import DuplicatePair, Person

from .hits import UnknownRecords, explanation_of, number

_BATCH = 2_000


@dataclass(frozen=True)
class StoredPairs:
    found: int  # pairs the hub gave (two records of the registry each)
    new: int  # stored now, pending review
    known: int  # already in the registry (from an earlier run): left as they are, decision included

    def as_dict(self) -> dict:
        return asdict(self)


def store_duplicate_pairs(rows: list[OpenedHit], source: str) -> StoredPairs:
    """Store the opened dedupe rows (``registry_record_id``, ``partner_record_id``: both the registry's) as
    ``DuplicatePair`` rows ordered by person, found by ``source`` (the cycle's code). Idempotent.

    A pair naming a record the registry does not know stops the whole store, as for hits.
    """
    record_ids = {str(r) for row in rows for r in (row.registry_record_id, row.partner_record_id)}
    persons = _person_ids(record_ids)
    missing = record_ids - set(persons)
    if missing:
        raise UnknownRecords(f"{len(missing)} registry records of the possible duplicates are unknown to the "
                             f"registry (e.g. {sorted(missing)[:3]})")
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    for row in rows:
        a, b = sorted((persons[str(row.registry_record_id)], persons[str(row.partner_record_id)]))
        if a == b or (a, b) in pairs:
            continue
        pairs[(a, b)] = DuplicatePair(person_a_id=a, person_b_id=b, score=number(row.probability),
                                      match_class=row.match_class, explanation=explanation_of(row),
                                      source=source)
    with transaction.atomic():
        known = _known(pairs)
        DuplicatePair.objects.bulk_create([p for key, p in pairs.items() if key not in known], batch_size=_BATCH,
                                           ignore_conflicts=True)  # a pair stored meanwhile stays as it is
    return StoredPairs(found=len(pairs), new=len(pairs) - len(known), known=len(known))


def _person_ids(record_ids: set[str]) -> dict[str, int]:
    ids, persons = sorted(record_ids), {}
    for start in range(0, len(ids), _BATCH):
        persons.update(Person.objects.filter(record_id__in=ids[start:start + _BATCH]).values_list("record_id", "pk"))
    return persons


def _known(pairs: dict[tuple[int, int], DuplicatePair]) -> set[tuple[int, int]]:
    """The pairs among ``pairs`` the registry already has (their rows and decisions are left alone)."""
    firsts, known = sorted({a for a, _ in pairs}), set()
    for start in range(0, len(firsts), _BATCH):
        rows = DuplicatePair.objects.filter(person_a_id__in=firsts[start:start + _BATCH])
        known.update(key for key in rows.values_list("person_a_id", "person_b_id") if key in pairs)
    return known
