"""The monthly contribution run (sijill.damaan.monthly.run_month), for cron or a system timer."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from sijill.damaan import contributions as c
from sijill.damaan.monthly import run_month


class Command(BaseCommand):
    help = ("Write the voluntary subscribers' dues of a month, assess its declarations not yet assessed, and revoke "
            "the clearance certificates that arrears now cover.")

    def add_arguments(self, parser):
        parser.add_argument("--month", help="the month to run, as 2026-11 (default: the current month)")
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")

    def handle(self, *args, month=None, **options):
        try:
            first = dt.date.fromisoformat(f"{month}-01") if month else c.month_start(dt.date.today())
        except ValueError as e:
            raise CommandError(f"--month: write the month as 2026-11, not {month!r}") from e
        result = run_month(first)
        figures = {"month": f"{result.month:%Y-%m}", "voluntary_dues": result.voluntary_dues,
                   "declarations_assessed": result.declarations_assessed, "lines_assessed": result.lines_assessed,
                   "certificates_revoked": result.certificates_revoked, "seconds": round(result.seconds, 2)}
        if options.get("json"):
            self.stdout.write(json.dumps(figures))
        else:
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in figures.items()))
