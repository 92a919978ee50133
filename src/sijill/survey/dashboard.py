"""The supervisor's dashboard as report tables (the same ``Table`` the reports app draws as SVG bars and
writes to XLSX): per researcher and per area — interviews, minutes per interview, flagged interviews,
back-checks and their discrepancy rate; and the flags by check."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Avg, Count, F, Q
from django.utils.translation import gettext as _

from sijill.reports.tables import Column, Table

from .backchecks import discrepancy_rates
from .models import BackCheck, BackCheckState, Flag
from .monitoring import checks, title


def _minutes():
    return Avg(F("ended_at") - F("started_at"))


def _as_minutes(value) -> float:
    if value is None:
        return 0.0
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value) / 1_000_000
    return round(seconds / 60, 1)


def tables(interviews) -> list[Table]:
    cols = [Column("interviews", _("interviews")), Column("minutes", _("minutes per interview")),
            Column("flagged", _("flagged interviews")), Column("flagged_pct", _("flagged (%)"), "percent"),
            Column("backchecks", _("back-checks done")), Column("discrepancy", _("discrepancy rate (%)"), "percent")]
    rates = discrepancy_rates(BackCheck.objects.filter(interview__in=interviews))
    people = Table("researchers", _("Per researcher"), [Column("who", _("researcher"), "text"), *cols],
                   chart="flagged_pct")
    for row in (interviews.values("researcher", "researcher__username").annotate(
            interviews=Count("id", distinct=True), minutes=_minutes(),
            flagged=Count("id", filter=Q(flags__isnull=False), distinct=True)).order_by("researcher__username")):
        rate = rates.get(row["researcher"], {})
        people.rows.append({"who": row["researcher__username"], "interviews": row["interviews"],
                            "minutes": _as_minutes(row["minutes"]), "flagged": row["flagged"],
                            "flagged_pct": 100 * row["flagged"] / row["interviews"] if row["interviews"] else 0,
                            "backchecks": rate.get("done", 0), "discrepancy": rate.get("rate", 0.0)})
    places = Table("areas", _("Per area"), [Column("where", _("governorate / district"), "text"), *cols],
                   chart="interviews")
    done = defaultdict(Counter)
    for gov, district, differing in (BackCheck.objects.filter(interview__in=interviews, state=BackCheckState.DONE)
                                     .values_list("interview__target__governorate", "interview__target__district",
                                                  "differing")):
        done[(gov, district)]["done"] += 1
        done[(gov, district)]["differing"] += differing
    for row in (interviews.values("target__governorate", "target__district").annotate(
            interviews=Count("id", distinct=True), minutes=_minutes(),
            flagged=Count("id", filter=Q(flags__isnull=False), distinct=True))
            .order_by("target__governorate", "target__district")):
        key = (row["target__governorate"], row["target__district"])
        checked = done[key]
        places.rows.append({"where": " / ".join(filter(None, key)), "interviews": row["interviews"],
                            "minutes": _as_minutes(row["minutes"]), "flagged": row["flagged"],
                            "flagged_pct": 100 * row["flagged"] / row["interviews"] if row["interviews"] else 0,
                            "backchecks": checked["done"],
                            "discrepancy": 100 * checked["differing"] / checked["done"] if checked["done"] else 0})
    by_check = Table("flags", _("Flags by check"), [Column("check", _("check"), "text"), Column("n", _("flags"))],
                     chart="n")
    counts = dict(Flag.objects.filter(interview__in=interviews).values_list("code").annotate(n=Count("id")))
    for code in checks():
        by_check.rows.append({"check": title(code), "n": counts.get(code, 0)})
    return [people, places, by_check]
