"""Queue the close of a month for the whole ration registry (the worker runs it); --wait runs it here."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sijill.ration.distribution import CloseError, execute_close, queue_close


class Command(BaseCommand):
    help = "Close a month: every card's entitlement and every agent's allocation (a background job)."

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, YYYY-MM")
        parser.add_argument("--wait", action="store_true", help="run the close in this process and wait for it")

    def handle(self, *args, month, wait, **options):
        try:
            close = queue_close(dt.date.fromisoformat(f"{month}-01"))
        except (ValueError, LookupError, CloseError) as e:
            raise CommandError(str(e)) from None
        if wait:
            close = execute_close(close.pk)
            self.stdout.write(f"{month}: {close.get_state_display()}, {close.totals}")
        else:
            self.stdout.write(f"{month}: queued; `sijill worker` runs it")
