"""Giving opened cases to field researchers: someone who works in the case's governorate, the one with the
fewest visits outstanding (ties: the longest-serving account first)."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count

from sijill.accounts.models import User

from . import workflow
from .models import Case, CaseState


def researchers() -> list[User]:
    return list(User.objects.filter(role="field_researcher", is_active=True).order_by("pk"))


def workload() -> Counter:
    """Cases waiting for each researcher's visit."""
    rows = (Case.objects.filter(state=CaseState.ASSIGNED).values_list("assigned_to")
            .annotate(n=Count("id")).order_by())
    return Counter(dict(rows))


def assign_open_cases(cases, *, actor, request=None) -> dict[str, int]:
    """Assign each opened case in ``cases``; returns how many were assigned and how many found nobody."""
    team = researchers()
    load = workload()
    done = Counter()
    for case in cases.filter(state=CaseState.OPENED).order_by("opened_at", "pk"):
        able = [r for r in team if case.governorate and case.governorate in (r.governorates or [])]
        if not able:
            done["unassigned"] += 1
            continue
        chosen = min(able, key=lambda r: (load[r.pk], r.pk))
        workflow.assign(case, chosen, actor=actor, request=request,
                        reason=workflow._("assigned by governorate and workload"))
        load[chosen.pk] += 1
        done["assigned"] += 1
    return {"assigned": done["assigned"], "unassigned": done["unassigned"]}
