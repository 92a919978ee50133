"""The cycle report, in the form of the ministry's own announcements ("N beneficiaries found with marriage
contracts, of whom M confirmed"). Its lines are data: ``data/announcement.csv``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from django.utils.translation import gettext as _

from sijill.cases.models import Outcome
from sijill.eligibility.models import Finding

from .figures import _english
from .tables import Table, count, text


@dataclass(frozen=True)
class Line:
    key: str
    label_ar: str
    label_en: str
    rules: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.label_en if _english() else self.label_ar


@cache
def lines() -> tuple[Line, ...]:
    raw = (resources.files("sijill.reports") / "data" / "announcement.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in raw.splitlines() if line and not line.startswith("#"))
    return tuple(Line(r["key"], r["label_ar"], r["label_en"], tuple(r["rules"].split())) for r in rows)


def _counts(findings) -> dict:
    persons = lambda qs: qs.values("person").distinct().count()  # noqa: E731
    found = persons(findings)
    confirmed = persons(findings.filter(case__outcome=Outcome.CONFIRMED))
    cleared = persons(findings.filter(case__outcome=Outcome.CLEARED))
    return {"found": found, "confirmed": confirmed, "cleared": cleared, "awaiting": found - confirmed - cleared}


def cycle_report(cycle) -> Table:
    """Beneficiaries found in ``cycle`` per announcement line, and how many field verification confirmed or
    cleared (a beneficiary counts once per line, however many records showed it)."""
    in_cycle = Finding.objects.filter(cycle=cycle)
    rows = [{"line": line.label, **_counts(in_cycle.filter(rule__code__in=line.rules))} for line in lines()]
    columns = [text("line", _("Found with")), count("found", _("Beneficiaries found")),
               count("confirmed", _("Confirmed")), count("cleared", _("Cleared")),
               count("awaiting", _("Awaiting a decision"))]
    every = {"line": _("All findings of the cycle"), **_counts(in_cycle)}
    return Table("cycle", _("Cycle %(cycle)s: beneficiaries found and confirmed") % {"cycle": cycle.code},
                 columns, rows, chart="found", total=every)
