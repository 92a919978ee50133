"""The ministry's figures, computed in the database from findings, cases, enrolments and recoveries.

Each function returns a ``Table``. Nothing here names a beneficiary: every figure is a count or a sum.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sijill.cases.models import (
    Case,
    CaseState,
    CheckAnswer,
    EnrolmentChange,
    EntryKind,
    Outcome,
    Recovery,
    RecoveryEntry,
    VisitCheck,
)
from sijill.eligibility.checklists import checklist
from sijill.eligibility.models import Finding, Rule
from sijill.exchange.models import Agency
from sijill.registry.models import EnrolmentStatus, Programme

from .tables import Table, count, iqd, percent, text, totals

STOPPED = (EnrolmentStatus.SUSPENDED, EnrolmentStatus.STOPPED)
DECIDED = (CaseState.DECIDED, CaseState.CLOSED)
AGE_BUCKETS = ((0, 30), (31, 90), (91, 180), (181, None))  # days since the case was opened

DIMENSIONS = {
    "rule": "rule__code",
    "agency": "agency_code",
    "governorate": "person__governorate",
    "programme": "enrolment__programme__code",
}


def _english() -> bool:
    return (translation.get_language() or "ar").startswith("en")


def _name(arabic: str, english: str) -> str:
    return english if _english() and english else arabic


def rule_names() -> dict[str, str]:
    """Rule code -> the name of its latest version."""
    names = {}
    for code, ar, en in Rule.objects.order_by("code", "version").values_list("code", "name_ar", "name_en"):
        names[code] = _name(ar, en)
    return names


def _labeller(dimension: str):
    if dimension == "rule":
        names = rule_names()
        return lambda v: names.get(v, v)
    if dimension == "agency":
        names = {a.code: _name(a.name_ar, a.name_en) for a in Agency.objects.all()}
        return lambda v: names.get(v, v) if v else _("the registry itself")
    if dimension == "programme":
        names = {p.code: f"{p.code} — {_name(p.name_ar, p.name_en)}" for p in Programme.objects.all()}
        return lambda v: names.get(v, v) if v else _("no programme named")
    return lambda v: v or _("governorate not known")


def findings_by(dimension: str, findings=None) -> Table:
    """Findings, the beneficiaries they concern, and the cases they went into (and how those ended)."""
    findings = Finding.objects.all() if findings is None else findings
    field = DIMENSIONS[dimension]
    qs = findings.annotate(agency_code=Coalesce(F("hit__agency__code"), F("rule__agency")))
    counts = {"findings": Count("id"), "persons": Count("person", distinct=True),
              "cases": Count("case", distinct=True),
              "confirmed": Count("case", distinct=True, filter=Q(case__outcome=Outcome.CONFIRMED)),
              "cleared": Count("case", distinct=True, filter=Q(case__outcome=Outcome.CLEARED))}
    data = qs.values(field).order_by(field).annotate(**counts)
    label = _labeller(dimension)
    titles = {"rule": _("Findings and cases by rule"), "agency": _("Findings and cases by agency"),
              "governorate": _("Findings and cases by governorate"),
              "programme": _("Findings and cases by programme")}
    heads = {"rule": _("Rule"), "agency": _("Agency"), "governorate": _("Governorate"), "programme": _("Programme")}
    columns = [text("label", heads[dimension]), count("findings", _("Findings")),
               count("persons", _("Beneficiaries")), count("cases", _("Cases")),
               count("confirmed", _("Confirmed")), count("cleared", _("Cleared"))]
    rows = [{"label": label(r[field]), **{c.key: r[c.key] for c in columns[1:]}} for r in data]
    rows.sort(key=lambda r: (-r["findings"], r["label"]))
    # The total counts each beneficiary and case once: summing the rows would count twice a person whose
    # findings came from two agencies or two programmes.
    total = {"label": _("Total"), **findings.aggregate(**counts)} if dimension != "rule" else None
    return Table(f"findings_by_{dimension}", titles[dimension], columns, rows, chart="findings", total=total)


def cases_by_state() -> Table:
    counts = dict(Case.objects.values_list("state").annotate(n=Count("id")).order_by())
    columns = [text("state", _("State")), count("cases", _("Cases"))]
    rows = [{"state": str(label), "cases": counts.get(value, 0)} for value, label in CaseState.choices]
    return Table("cases_by_state", _("Cases by state"), columns, rows, chart="cases",
                 total=totals(rows, columns, _("Total")))


def cases_by_age(now: dt.datetime | None = None) -> Table:
    """Cases not yet decided, by the days since they were opened; and how many are past their deadline."""
    now = now or timezone.now()
    open_cases = Case.objects.exclude(state__in=DECIDED)
    rows = []
    for low, high in AGE_BUCKETS:
        q = Q(opened_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            q &= Q(opened_at__gt=now - dt.timedelta(days=high + 1))
        label = _("%(low)d–%(high)d days") % {"low": low, "high": high} if high is not None else \
            _("over %(low)d days") % {"low": low - 1}
        bucket = open_cases.filter(q)
        rows.append({"age": label, "cases": bucket.count(),
                     "overdue": bucket.filter(due_on__lt=timezone.localdate(now)).count()})
    columns = [text("age", _("Open for")), count("cases", _("Open cases")), count("overdue", _("Past their deadline"))]
    return Table("cases_by_age", _("Open cases by age"), columns, rows, chart="cases",
                 total=totals(rows, columns, _("Total")))


def stopped_enrolments() -> dict[int, tuple[dt.date, int]]:
    """Enrolment -> (month of the first change a confirmed decision made to it, the monthly amount it no longer
    pays), from what the decisions themselves recorded (``EnrolmentChange``, not undone): a suspension or stop
    saves the whole amount, a share taken off (a death in the household) the difference. An enrolment stopped
    for another reason, or by nobody's case, is not a saving of the cross-matching."""
    rows = (EnrolmentChange.objects.filter(case__outcome=Outcome.CONFIRMED, undone=False).order_by("on", "pk")
            .values_list("enrolment_id", "on", "status_after", "amount_before_iqd", "amount_after_iqd"))
    first: dict[int, tuple[dt.date, int]] = {}
    for enrolment, on, status_after, before, after in rows:
        if enrolment not in first:
            first[enrolment] = (on.replace(day=1), before if status_after in STOPPED else max(before - after, 0))
    return first


def monthly_savings() -> Table:
    """By month of decision: enrolments a confirmed case suspended, stopped or reduced, the monthly amount
    they no longer draw, and the running monthly saving."""
    by_month: dict[dt.date, list[int]] = defaultdict(list)
    for month, amount in stopped_enrolments().values():
        by_month[month].append(amount)
    confirmed = defaultdict(int)
    for decided_at in Case.objects.filter(outcome=Outcome.CONFIRMED, decided_at__isnull=False).values_list(
            "decided_at", flat=True):
        confirmed[timezone.localtime(decided_at).date().replace(day=1)] += 1
    rows, running = [], 0
    for month in sorted(set(by_month) | set(confirmed)):
        amounts = by_month.get(month, [])
        running += sum(amounts)
        rows.append({"month": month.strftime("%Y-%m"), "confirmed": confirmed.get(month, 0),
                     "enrolments": len(amounts), "saved": sum(amounts), "running": running})
    columns = [text("month", _("Month of decision")), count("confirmed", _("Cases confirmed")),
               count("enrolments", _("Enrolments suspended or stopped")), iqd("saved", _("Monthly saving (IQD)")),
               iqd("running", _("Monthly saving to date (IQD)"))]
    total = totals(rows, columns, _("Total"))
    total["running"] = running
    return Table("monthly_savings", _("Monthly savings from confirmed stops"), columns, rows, chart="saved",
                 total=total)


def recoveries() -> Table:
    """By governorate: what confirmed cases owe, what came back, what was written off, what is left."""
    rows: dict[str, dict] = {}
    for r in Recovery.objects.values("case__governorate").annotate(n=Count("id"), due=Sum("amount_due_iqd")):
        rows[r["case__governorate"]] = {"cases": r["n"], "due": r["due"] or 0, "recovered": 0, "written_off": 0}
    for e in RecoveryEntry.objects.values("recovery__case__governorate", "kind").annotate(total=Sum("amount_iqd")):
        row = rows.setdefault(e["recovery__case__governorate"], {"cases": 0, "due": 0, "recovered": 0,
                                                                 "written_off": 0})
        row["written_off" if e["kind"] == EntryKind.WRITE_OFF else "recovered"] += e["total"] or 0
    out = []
    for governorate, row in sorted(rows.items()):
        out.append({"governorate": governorate or _("governorate not known"), **row,
                    "outstanding": row["due"] - row["recovered"] - row["written_off"]})
    columns = [text("governorate", _("Governorate")), count("cases", _("Recoveries")),
               iqd("due", _("Due (IQD)")), iqd("recovered", _("Recovered (IQD)")),
               iqd("written_off", _("Written off (IQD)")), iqd("outstanding", _("Outstanding (IQD)"))]
    return Table("recoveries", _("Amounts due, recovered and written off"), columns, out, chart="due",
                 total=totals(out, columns, _("Total")))


def false_positives() -> Table:
    """Per rule, of its decided cases, the share that field verification cleared: a rule whose share is high
    stops the benefit of families who were entitled to it."""
    names = rule_names()
    data = (Finding.objects.filter(case__outcome__in=Outcome.values).values("rule__code").order_by("rule__code")
            .annotate(decided=Count("case", distinct=True),
                      cleared=Count("case", distinct=True, filter=Q(case__outcome=Outcome.CLEARED)),
                      confirmed=Count("case", distinct=True, filter=Q(case__outcome=Outcome.CONFIRMED))))
    rows = [{"rule": names.get(r["rule__code"], r["rule__code"]), "decided": r["decided"],
             "confirmed": r["confirmed"], "cleared": r["cleared"], "rate": share(r["cleared"], r["decided"])}
            for r in data]
    rows.sort(key=lambda r: (-r["rate"], r["rule"]))
    columns = [text("rule", _("Rule")), count("decided", _("Decided cases")), count("confirmed", _("Confirmed")),
               count("cleared", _("Cleared by field verification")), percent("rate", _("Share cleared (%)"))]
    return Table("false_positives", _("Share of each rule's decided cases that field verification cleared"),
                 columns, rows, chart="rate")


def cleared_by_checks() -> Table:
    """Per rule and checklist item, in the decided cases, how often the visit found the fact not established,
    and how many cleared cases it was not established in: which checks clear a rule's findings is the evidence
    behind its false-positive rate (a rule cleared on `identity` matches the wrong people)."""
    names = rule_names()
    data = (VisitCheck.objects.filter(finding__case__outcome__in=Outcome.values)
            .values("rule_code", "item").order_by("rule_code", "item")
            .annotate(answered=Count("pk"),
                      not_established=Count("pk", filter=Q(answer=CheckAnswer.NOT_ESTABLISHED)),
                      cleared=Count("finding__case", distinct=True,
                                    filter=Q(answer=CheckAnswer.NOT_ESTABLISHED,
                                             finding__case__outcome=Outcome.CLEARED))))
    questions = {}
    for a in VisitCheck.objects.order_by("pk").values("rule_code", "item", "question"):
        questions[(a["rule_code"], a["item"])] = a["question"]
    rows = [{"rule": names.get(r["rule_code"], r["rule_code"]),
             "item": _item_text(r["rule_code"], r["item"], questions.get((r["rule_code"], r["item"]), r["item"])),
             "answered": r["answered"], "not_established": r["not_established"], "cleared": r["cleared"],
             "rate": share(r["not_established"], r["answered"])} for r in data]
    rows.sort(key=lambda r: (-r["cleared"], r["rule"], r["item"]))
    columns = [text("rule", _("Rule")), text("item", _("What the visit verified")),
               count("answered", _("Answered")), count("not_established", _("Not established")),
               count("cleared", _("Cleared cases it was not established in")),
               percent("rate", _("Share not established (%)"))]
    return Table("cleared_by_checks", _("Checks that cleared findings, per rule"), columns, rows)


def _item_text(rule_code: str, item: str, asked: str) -> str:
    """The item as the checklist words it now, in the page's language; the text asked when it is gone."""
    for c in checklist(rule_code):
        if c.code == item:
            return c.text
    return asked


def share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def headline() -> dict:
    """The few numbers at the top of the dashboard."""
    savings = stopped_enrolments()
    entries = dict(RecoveryEntry.objects.values_list("kind").annotate(total=Sum("amount_iqd")).order_by())
    return {
        "findings": Finding.objects.count(),
        "persons": Finding.objects.values("person").distinct().count(),
        "cases": Case.objects.count(),
        "decided": Case.objects.exclude(outcome="").count(),
        "confirmed": Case.objects.filter(outcome=Outcome.CONFIRMED).count(),
        "cleared": Case.objects.filter(outcome=Outcome.CLEARED).count(),
        "monthly_saving": sum(amount for _month, amount in savings.values()),
        "due": Recovery.objects.aggregate(s=Sum("amount_due_iqd"))["s"] or 0,
        "recovered": (entries.get(EntryKind.PAYMENT) or 0) + (entries.get(EntryKind.DEDUCTION) or 0),
        "written_off": entries.get(EntryKind.WRITE_OFF) or 0,
    }


def dashboard() -> list[Table]:
    return [findings_by("rule"), findings_by("agency"), findings_by("governorate"), findings_by("programme"),
            cases_by_state(), cases_by_age(), monthly_savings(), recoveries(), false_positives(), cleared_by_checks()]
