"""Unusual activity: one user running far more searches, record views or exports than their work needs.

The thresholds are data (``data/alerts.csv``, or the file ``settings.AUDIT_ALERT_RULES`` names): action,
window in minutes, threshold, and why it matters. Passing one writes an ``alert`` entry into the trail itself
(tamper-evident like the rest) naming the user; the auditor's page lists the recent ones first. One alert per
user and rule per window: a user who keeps going is not an alert storm.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import Action, AuditEntry

DEFAULT_RULES = Path(__file__).parent / "data" / "alerts.csv"
SYSTEM = "sijill"  # the actor of an alert: the system, not the user it is about


@dataclass(frozen=True)
class Rule:
    action: str
    window: dt.timedelta
    threshold: int
    why: str


@functools.cache
def _load(path: str) -> dict[str, Rule]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    known = set(Action.values)
    rules = {}
    for number, row in enumerate(rows, start=2):
        if row["action"] not in known:
            raise ValueError(f"{path}, row {number}, action: {row['action']!r} is not an audit action")
        rules[row["action"]] = Rule(row["action"], dt.timedelta(minutes=int(row["window_minutes"])),
                                    int(row["threshold"]), row["why"])
    return rules


def rules() -> dict[str, Rule]:
    return _load(str(getattr(settings, "AUDIT_ALERT_RULES", None) or DEFAULT_RULES))


def check(entry: AuditEntry, record) -> AuditEntry | None:
    """After ``entry`` was written: raise an alert if its actor has now passed the threshold for its action."""
    rule = rules().get(entry.action)
    if rule is None or entry.actor in ("", "anonymous", SYSTEM):
        return None
    since = entry.at - rule.window
    count = AuditEntry.objects.filter(actor=entry.actor, action=entry.action, at__gt=since).count()
    if count <= rule.threshold:
        return None
    raised = AuditEntry.objects.filter(action=Action.ALERT, target_type="user", target_id=entry.actor[:64],
                                       at__gt=since, details__contains=f'"rule":"{rule.action}"')
    if raised.exists():
        return None
    return record(Action.ALERT, actor=SYSTEM, target_type="user", target_id=entry.actor, rule=rule.action,
                  count=count, threshold=rule.threshold, window_minutes=int(rule.window.total_seconds() // 60),
                  why=rule.why)


def recent(days: int = 7, limit: int = 20) -> list[dict]:
    """The alerts of the last ``days``, newest first, as the auditor's page shows them."""
    entries = AuditEntry.objects.filter(action=Action.ALERT, at__gt=timezone.now() - dt.timedelta(days=days))
    shown = []
    for e in entries.order_by("-seq")[:limit]:
        d = e.details_dict
        shown.append({"user": e.target_id, "action": Action(d["rule"]).label, "count": d["count"],
                      "threshold": d["threshold"], "minutes": d["window_minutes"], "at": e.at, "seq": e.seq})
    return shown
