"""The duplicate rule: a person enrolled twice. Reads the registry's duplicate pairs that a reviewer decided
are one person; the later enrolment is the one paid without right."""

from __future__ import annotations

import datetime as dt

from sijill.registry.models import DuplicatePair, PairStatus

from .kinds import Raised, Subject, _in_force, member_share


def raise_duplicates(params: dict, as_of: dt.date, load_subjects) -> list[Raised]:
    """One finding per decided pair, on the record whose household enrolled later. Two records in one
    household inflate its size: then only one member's share was paid without right."""
    pairs = list(DuplicatePair.objects.filter(status=PairStatus.SAME)
                 .values_list("pk", "person_a_id", "person_b_id", "decided_at"))
    facts = load_subjects({p for _, a, b, _ in pairs for p in (a, b)})
    raised = []
    for pk, a, b, _decided in pairs:
        first, second = facts.get(a), facts.get(b)
        if first is None or second is None:
            continue
        if _started(second) < _started(first):
            first, second = second, first
        effective = _started(second)
        if not _in_force(effective, second, as_of):
            continue
        if first.household_id == second.household_id:
            amount = member_share(params.get("programmes") or {}, second)
        else:
            amount = second.amount_iqd
        raised.append(Raised(second.person_id, second.enrolment_id, effective, amount,
                             {"pair": pk, "other_person": first.person_id}))
    return raised


def _started(subject: Subject) -> dt.date:
    return subject.enrolled_on or dt.date.min
