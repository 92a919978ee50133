"""Back-checks: a random sample of interviews plus every flagged one is asked again — re-visited by another
researcher of the governorate, or phoned by a supervisor — and the key answers compared. Each researcher's
discrepancy rate is the share of their back-checked interviews where an answer differed."""

from __future__ import annotations

import random
from collections import Counter

from django.db.models import Count, Q
from django.utils import timezone

from sijill.accounts.models import User
from sijill.audit.trail import record

from .models import BackCheck, BackCheckState, Interview

# The answers asked again: facts a household cannot get wrong and a fabricated interview rarely gets right.
KEY_QUESTIONS = ("dwelling_tenure", "wall_material", "dwelling_condition", "rooms", "water", "assets",
                 "income_sources", "loan")
SAMPLE_RATE = 0.1


def select(interviews, *, rate: float = SAMPLE_RATE, seed: int | None = None, actor=None) -> int:
    """Create back-checks for the flagged interviews and a random ``rate`` of the others (none twice)."""
    todo = interviews.filter(backchecks__isnull=True)
    flagged = set(todo.filter(flags__isnull=False).values_list("pk", flat=True))
    rest = sorted(set(todo.values_list("pk", flat=True)) - flagged)
    rng = random.Random(seed)
    sample = set(rng.sample(rest, k=round(len(rest) * rate))) if rest else set()
    made = 0
    items = Interview.objects.filter(pk__in=flagged | sample).select_related("target", "researcher")
    supervisors = list(User.objects.filter(role="field_supervisor", is_active=True).order_by("pk"))
    team = list(User.objects.filter(role="field_researcher", is_active=True).order_by("pk"))
    load: Counter = Counter(dict(BackCheck.objects.filter(state=BackCheckState.PENDING).values_list("checker")
                                 .annotate(n=Count("id")).order_by()))
    for item in items.order_by("pk"):
        reason = "flagged" if item.pk in flagged else "random"
        checker, method = _checker(item, reason, supervisors, team, load)
        if checker is None:
            continue
        BackCheck.objects.create(interview=item, checker=checker, method=method, reason=reason)
        load[checker.pk] += 1
        made += 1
    if made:
        record("survey_backchecks", user=actor if getattr(actor, "pk", None) else None,
               actor=actor if isinstance(actor, str) else None, created=made, flagged=len(flagged))
    return made


def _checker(item: Interview, reason: str, supervisors, team, load):
    """Flagged: a supervisor of the governorate phones; random: another researcher re-visits (a supervisor
    phones when there is no other researcher)."""
    place = item.target.governorate
    others = [r for r in team if r.pk != item.researcher_id and place in (r.governorates or [])]
    bosses = [s for s in supervisors if place in (s.governorates or [])]
    if reason == "random" and others:
        return min(others, key=lambda r: (load[r.pk], r.pk)), "revisit"
    if bosses:
        return min(bosses, key=lambda r: (load[r.pk], r.pk)), "phone"
    if others:
        return min(others, key=lambda r: (load[r.pk], r.pk)), "revisit"
    return None, ""


def _same(question: str, first, second) -> bool:
    if question in ("assets", "income_sources"):
        return set(str(first or "").split()) == set(str(second or "").split())
    return str(first if first is not None else "") == str(second if second is not None else "")


def complete(backcheck: BackCheck, answers: dict, *, members: int | None, actor) -> list[dict]:
    """Record the answers given again; returns the discrepancies (question, interview, back-check)."""
    original = backcheck.interview.answers
    differences = [{"question": q, "interview": original.get(q), "backcheck": answers.get(q)}
                   for q in KEY_QUESTIONS if q in answers and not _same(q, original.get(q), answers.get(q))]
    if members is not None and members != backcheck.interview.members:
        differences.append({"question": "members", "interview": backcheck.interview.members, "backcheck": members})
    backcheck.answers = {**{q: answers.get(q) for q in KEY_QUESTIONS if q in answers}, "members": members}
    backcheck.discrepancies = differences
    backcheck.differing = bool(differences)
    backcheck.state = BackCheckState.DONE
    backcheck.done_at = timezone.now()
    backcheck.save()
    record("survey_backcheck", user=actor, target=backcheck.interview.target.household or backcheck.interview.target,
           interview=backcheck.interview_id, discrepancies=len(differences), method=backcheck.method)
    return differences


def discrepancy_rates(backchecks=None) -> dict[int, dict]:
    """researcher id -> back-checks done, with a discrepancy, and the rate (percent)."""
    backchecks = backchecks if backchecks is not None else BackCheck.objects.all()
    out = {}
    rows = (backchecks.filter(state=BackCheckState.DONE).values("interview__researcher")
            .annotate(done=Count("id"), differing=Count("id", filter=Q(differing=True))).order_by())
    for row in rows:
        out[row["interview__researcher"]] = {"done": row["done"], "differing": row["differing"],
                                             "rate": round(100 * row["differing"] / row["done"], 1)}
    return out
