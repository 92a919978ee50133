"""Which cases a user may see: caseworkers those of their governorates (everyone else with the capability,
all)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from sijill.audit.access import deny
from sijill.common.scoping import in_scope
from sijill.registry.addresses import whereabouts

from .models import Case, CaseState


def cases_for(user):
    return in_scope(Case.objects.all(), user)


def case_for(request, pk: int) -> Case:
    item = get_object_or_404(Case.objects.select_related("person", "assigned_to"), pk=pk)
    if not request.user.sees_governorate(item.governorate):
        raise deny(request, "case outside the user's governorates", case=item.reference)
    return item


def round_of_visits(researcher) -> list[Case]:
    """The cases waiting for this researcher's visit (theirs only), each with ``where`` (its household's
    address and position), ordered by district and mahalla so that a day's round can be planned."""
    cases = list(Case.objects.filter(assigned_to=researcher, state=CaseState.ASSIGNED)
                 .select_related("person__membership__household").order_by("due_on", "pk"))
    households = {c.pk: getattr(getattr(c.person, "membership", None), "household_id", None) for c in cases}
    found = whereabouts({h for h in households.values() if h})
    for c in cases:
        c.where = found.get(households[c.pk]) if households[c.pk] else None
    return sorted(cases, key=lambda c: (c.where.sort_key if c.where else (2,), c.due_on or c.opened_at.date(),
                                        c.pk))
