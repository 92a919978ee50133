"""The monthly contribution run: the voluntary subscribers' dues of the month, an assessment for every current
declaration of the month that has none yet (declarations loaded in bulk, e.g. from the old system), and the
certificates revoked by arrears. The one orchestrator the command, the demo and the benchmark call."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.utils import timezone

from . import contributions as c
from .certificates import revoke_all_on_arrears
from .declarations import assess_month
from .models import VerifyMiss
from .tables import table_for
from .voluntary import write_dues


@dataclass(frozen=True)
class RunResult:
    month: dt.date
    voluntary_dues: int
    declarations_assessed: int
    lines_assessed: int
    certificates_revoked: int
    seconds: float


def run_month(month: dt.date, today: dt.date | None = None) -> RunResult:
    started = time.perf_counter()
    month = c.month_start(month)
    dues = write_dues(month, from_month=month)  # earlier months: their own runs
    declarations, lines = assess_month(month, table_for(month))
    revoked = revoke_all_on_arrears(today)
    VerifyMiss.objects.filter(at__lt=timezone.now() - dt.timedelta(days=1)).delete()
    return RunResult(month, dues, declarations, lines, revoked, time.perf_counter() - started)
