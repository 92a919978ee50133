"""Opening cases: the one entry point the evaluator, the hotline (tips) and duplicate review call.

A person has at most one case that is not closed; new findings join it rather than opening a second one,
so that one field visit and one decision cover everything known about the person at the time.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ObjectDoesNotExist
from django.db import router, transaction
from django.db.models import CharField, Count, Min, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from sijill.audit.trail import record
from sijill.common.bulk import db_now, upsert
from sijill.eligibility.models import Finding

from . import workflow
from .models import Case, CaseEvent, CaseState

SOURCES = ("cycle", "tip", "duplicate", "civil_registry")


def governorate_of(person) -> str:
    """The household's governorate (where the family is visited), else the person's own."""
    try:
        household_governorate = person.membership.household.governorate
    except ObjectDoesNotExist:
        household_governorate = ""
    return household_governorate or person.governorate or ""


def open_or_join_case(person, *, source: str, actor, reason: str, findings=()) -> Case:
    """Return the person's case that is still open, or open a new one, and attach ``findings`` to it.

    Opening writes a ``CaseEvent`` and an audit entry; joining writes an event naming what was added."""
    if source not in SOURCES:
        raise ValueError(f"unknown case source {source!r}; expected one of {', '.join(SOURCES)}")
    findings = list(findings)
    with transaction.atomic(using=router.db_for_write(Case)):
        case = (Case.objects.select_for_update().filter(person=person).exclude(state=CaseState.CLOSED)
                .order_by("-opened_at", "-pk").first())
        if case is None:
            case = Case.objects.create(reference=uuid.uuid4().hex[:32], person=person, source=source,
                                       governorate=governorate_of(person), state=CaseState.OPENED)
            case.reference = f"SJ-{timezone.now():%Y}-{case.pk:07d}"
            case.save(update_fields=["reference"])
            CaseEvent.objects.create(case=case, from_state="", to_state=CaseState.OPENED, actor=_user(actor),
                                     reason=reason)
            record("case_opened", user=_user(actor), actor=_name(actor), target=case, person=person.record_id,
                   source=source, reason=reason, findings=len(findings))
        else:  # every call brings something (a tip, findings): the case's history says what and why
            CaseEvent.objects.create(case=case, from_state=case.state, to_state=case.state, actor=_user(actor),
                                     reason=reason)
            record("case_joined", user=_user(actor), actor=_name(actor), target=case, person=person.record_id,
                   source=source, reason=reason, findings=len(findings))
        if findings:
            Finding.objects.filter(pk__in=[f.pk for f in findings]).update(case=case)
            for finding in findings:
                finding.case = case
            _earliest_effective_date(case)
            workflow.reverify(case, actor=_user(actor), findings=len(findings))
    return case


def _earliest_effective_date(case: Case) -> None:
    first = case.findings.order_by("effective_date").values_list("effective_date", flat=True).first()
    if first and case.effective_date != first and case.outcome == "":
        case.effective_date = first
        case.save(update_fields=["effective_date", "updated_at"])


def _user(actor):
    """``actor`` may be a user or a name (a batch job); only a user goes into a foreign key."""
    return actor if getattr(actor, "pk", None) is not None else None


def _name(actor) -> str | None:
    """The audit trail's actor when no user acts: a batch job's name, or "system"."""
    if isinstance(actor, str):
        return actor
    return None if _user(actor) is not None else "system"


def open_cases_for_persons(persons, *, source: str, actor, reason: str,
                           governorates: dict[int, str] | None = None, using: str | None = None) -> tuple[int, int]:
    """``open_or_join_case`` for many persons at once (the evaluator's path): their findings not yet in a
    case join the person's open case or a new one. Set-based statements, so a cycle's findings are grouped
    in seconds. Returns (cases opened, cases joined). Each case gets its ``CaseEvent``; the evaluation
    writes one audit entry for the batch (see ``evaluate_cycle``)."""
    if source not in SOURCES:
        raise ValueError(f"unknown case source {source!r}")
    using = using or router.db_for_write(Case)
    persons = sorted(set(persons))
    governorates = governorates or {}
    user_id = getattr(_user(actor), "pk", None)
    now = db_now(using)
    batch = uuid.uuid4().hex[:8]
    with transaction.atomic(using=using):
        joined: dict[int, tuple[int, str]] = {}
        for chunk in _chunks(persons):
            for pk, person, state in (Case.objects.using(using).filter(person_id__in=chunk)
                                      .exclude(state=CaseState.CLOSED).order_by("opened_at", "pk")
                                      .values_list("pk", "person_id", "state")):
                joined[person] = (pk, state)  # the latest wins, as in open_or_join_case
        new = [p for p in persons if p not in joined]
        upsert(Case, ["reference", "person", "source", "state", "governorate", "appeals", "opened_at", "updated_at",
                      "outcome", "proposed_outcome"],
               [(f"t-{batch}-{p}", p, source, CaseState.OPENED, governorates.get(p, ""), 0, now, now, "", "")
                for p in new], unique=["reference"], update=[], using=using, adapt=False)
        created = list(Case.objects.using(using).filter(reference__startswith=f"t-{batch}-").values_list("pk",
                                                                                                          flat=True))
        events = [(pk, "", CaseState.OPENED, user_id, now, reason) for pk in created]
        events += [(pk, state, state, user_id, now, reason) for pk, state in joined.values()]
        upsert(CaseEvent, ["case", "from_state", "to_state", "actor", "at", "reason"], events, unique=["id"],
               update=[], using=using, adapt=False)
        prefix = f"SJ-{timezone.now():%Y}-"
        for chunk in _chunks(created):
            Case.objects.using(using).filter(pk__in=chunk).update(
                reference=Concat(Value(prefix), LPad(Cast("id", CharField()), 7, Value("0"))))
        revisit = {pk: person for person, (pk, state) in joined.items() if state in workflow.REVISIT}
        arriving = dict(Finding.objects.using(using).filter(person_id__in=list(revisit.values()), case__isnull=True)
                        .order_by().values("person_id").annotate(n=Count("id")).values_list("person_id", "n"))
        open_case = (Case.objects.filter(person=OuterRef("person")).exclude(state=CaseState.CLOSED)
                     .order_by("-opened_at", "-pk").values("pk")[:1])
        for chunk in _chunks(persons):
            Finding.objects.using(using).filter(person_id__in=chunk, case__isnull=True).update(
                case=Subquery(open_case))
        earliest = (Finding.objects.filter(case=OuterRef("pk")).order_by().values("case")
                    .annotate(first=Min("effective_date")).values("first"))
        for chunk in _chunks(created + [pk for pk, _ in joined.values()]):
            Case.objects.using(using).filter(pk__in=chunk, outcome="").update(effective_date=Subquery(earliest))
        for case in Case.objects.using(using).filter(pk__in=[pk for pk, p in revisit.items() if arriving.get(p)]):
            workflow.reverify(case, actor=_user(actor), findings=arriving[case.person_id])
    return len(created), len(joined)


def _chunks(values: list[int], size: int = 5_000):
    for i in range(0, len(values), size):
        yield values[i:i + size]
