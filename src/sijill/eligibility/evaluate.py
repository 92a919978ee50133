"""Running the rules in force over a cycle: findings (idempotent per cycle). Grouping them into cases is the
orchestrator's next step (``sijill.cycles.orchestrator.evaluate``), with the persons this returns.

The rules read plain rows (hits' payloads and registry facts loaded in a few queries), so a cycle of a
million-person registry is evaluated in seconds; findings are written in bulk.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import router, transaction
from django.utils import timezone

from sijill.audit.trail import record
from sijill.common.bulk import db_now, upsert

from . import facts
from .duplicates import raise_duplicates
from .kinds import KINDS, Raised, Subject
from .models import Finding, Rule
from .rules import in_force


@dataclass
class RuleSpec:
    """What a rule version says, saved or not (the what-if preview evaluates drafts)."""

    code: str
    kind: str
    agency: str
    parameters: dict

    @classmethod
    def of(cls, rule: Rule) -> RuleSpec:
        return cls(rule.code, rule.kind, rule.agency, rule.parameters)


@dataclass
class Evaluation:
    cycle: str
    as_of: dt.date
    hits_read: int = 0
    raised: Counter = field(default_factory=Counter)  # rule code -> findings raised now
    already: int = 0  # findings this cycle had raised before (not raised twice)
    cases_opened: int = 0  # filled by the orchestrator, which opens the cases
    cases_joined: int = 0
    seconds: float = 0.0
    persons: set[int] = field(default_factory=set)  # the persons with a new finding
    governorates: dict[int, str] = field(default_factory=dict)  # person -> governorate, for their cases

    @property
    def created(self) -> int:
        return sum(self.raised.values())


@dataclass
class Raising:
    """What the specs raised (index of the spec, finding), the registry facts of the persons concerned,
    and how many hits were read."""

    raised: list[tuple[int, Raised]]
    subjects: dict[int, Subject]
    hits_read: int


def raise_findings(specs: list[RuleSpec], cycle, as_of: dt.date) -> Raising:
    """Evaluate every spec, keeping per rule and person the earliest date. Writes nothing."""
    by_agency = defaultdict(list)
    for i, spec in enumerate(specs):
        if spec.kind in KINDS and spec.agency:
            by_agency[spec.agency].append(i)
    rows = facts.usable_hits(cycle, by_agency) if by_agency and cycle is not None else []
    subjects = facts.subjects({r.person_id for r in rows}) if rows else {}
    earliest: dict[tuple[int, int], tuple[Raised, int]] = {}
    for row in rows:
        subject = subjects.get(row.person_id)
        if subject is None:
            continue
        for i in by_agency[row.agency]:
            spec = specs[i]
            found = KINDS[spec.kind](spec.parameters, row.payload, subject, as_of)
            if found is None:
                continue
            key = (i, row.person_id)
            seen = earliest.get(key)
            if seen is None or found.effective < seen[0].effective:
                details = {"agency": row.agency, "partner_record_id": row.partner_record_id, **row.payload,
                           **found.details}
                earliest[key] = (Raised(found.person_id, found.enrolment_id, found.effective, found.monthly_iqd,
                                        details, row.hit_id), (seen[1] + 1) if seen else 1)
            else:
                earliest[key] = (seen[0], seen[1] + 1)
    raised = []
    for (i, _), (found, records) in earliest.items():
        if records > 1:
            found.details["records"] = records
        raised.append((i, found))

    def load(ids: set[int]) -> dict[int, Subject]:
        loaded = facts.subjects(ids)
        subjects.update(loaded)
        return loaded

    for i, spec in enumerate(specs):
        if spec.kind == "duplicate":
            raised += [(i, found) for found in raise_duplicates(spec.parameters, as_of, load)]
    return Raising(raised, subjects, len(rows))


def evaluate_cycle(cycle, *, actor=None, as_of: dt.date | None = None, request=None) -> Evaluation:
    """Raise the findings of the rules in force over ``cycle`` (those not raised for it before); the result
    names the persons concerned. Changes no enrolment: only a decision on a case does."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    rules = in_force()
    specs = [RuleSpec.of(r) for r in rules]
    result = Evaluation(cycle.code, as_of)
    raising = raise_findings(specs, cycle, as_of)
    result.hits_read = raising.hits_read
    seen = _already_raised(cycle)
    using = router.db_for_write(Finding)
    now = db_now(using)
    rows, persons = [], set()
    for i, found in raising.raised:
        rule = rules[i]
        key = (rule.code, found.person_id, found.details.get("pair"))
        if key in seen or (rule.code, found.person_id, found.effective) in seen:
            result.already += 1
            continue
        seen.add(key)
        rows.append((rule.pk, found.person_id, found.enrolment_id, cycle.pk,
                     found.hit_id, found.effective, found.monthly_iqd, {**found.details, "as_of": as_of.isoformat()},
                     now))
        persons.add(found.person_id)
        result.raised[rule.code] += 1
    with transaction.atomic(using=using):
        upsert(Finding, ["rule", "person", "enrolment", "cycle", "hit", "effective_date", "monthly_amount_iqd",
                         "details", "created_at"], rows, unique=["id"], update=[], using=using)
    result.persons = persons
    result.governorates = {p: s.governorate for p, s in raising.subjects.items() if p in persons}
    result.seconds = time.perf_counter() - started
    record("rules_evaluated", request=request, user=actor if getattr(actor, "pk", None) else None,
           actor=actor if isinstance(actor, str) else None, target=cycle, as_of=as_of.isoformat(),
           raised=dict(result.raised), already=result.already, rules=[r.natural_key_value for r in rules])
    return result


def _already_raised(cycle) -> set[tuple]:
    """(rule code, person, pair) of the findings this cycle raised before, under any version, and of every
    duplicate finding (a pair is found once, whatever the cycle); (rule code, person, effective date) of the
    findings of other cycles: the same fact sent again next month is not a new suspicion (its case may have
    been cleared, or confirmed and recovered already)."""
    seen = {(code, person, None) for code, person in
            Finding.objects.filter(cycle=cycle).values_list("rule__code", "person_id").iterator(chunk_size=20_000)}
    seen.update(Finding.objects.exclude(cycle=cycle).exclude(rule__kind="duplicate").values_list(
        "rule__code", "person_id", "effective_date").iterator(chunk_size=20_000))
    for code, person, details in Finding.objects.filter(rule__kind="duplicate").values_list(
            "rule__code", "person_id", "details"):
        seen.add((code, person, (details or {}).get("pair")))
    return seen


@dataclass
class Preview:
    """What a rule version would raise over a cycle: counts and monthly amounts by governorate, programme."""

    findings: int
    monthly_iqd: int
    by_governorate: list[tuple[str, int, int]]
    by_programme: list[tuple[str, int, int]]


def preview(spec: RuleSpec, cycle, as_of: dt.date | None = None) -> Preview:
    """Evaluate one rule (a saved version or a draft) without writing anything."""
    as_of = as_of or timezone.localdate()
    raising = raise_findings([spec], cycle, as_of)
    raised, subjects = raising.raised, raising.subjects
    by_gov, by_prog = Counter(), Counter()
    amount_gov, amount_prog = Counter(), Counter()
    for _, found in raised:
        subject: Subject | None = subjects.get(found.person_id)
        gov = subject.governorate if subject else ""
        prog = subject.programme if subject else ""
        by_gov[gov] += 1
        by_prog[prog] += 1
        amount_gov[gov] += found.monthly_iqd
        amount_prog[prog] += found.monthly_iqd
    return Preview(len(raised), sum(f.monthly_iqd for _, f in raised),
                   sorted(((g, n, amount_gov[g]) for g, n in by_gov.items()), key=lambda r: -r[1]),
                   sorted(((p, n, amount_prog[p]) for p, n in by_prog.items()), key=lambda r: -r[1]))
