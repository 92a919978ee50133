"""Which cases a user may see: caseworkers those of their governorates (everyone else with the capability,
all)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from sijill.audit.access import deny
from sijill.common.scoping import in_scope

from .models import Case


def cases_for(user):
    return in_scope(Case.objects.all(), user)


def case_for(request, pk: int) -> Case:
    item = get_object_or_404(Case.objects.select_related("person", "assigned_to"), pk=pk)
    if not request.user.sees_governorate(item.governorate):
        raise deny(request, "case outside the user's governorates", case=item.reference)
    return item
