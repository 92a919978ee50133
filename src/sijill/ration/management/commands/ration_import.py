"""Import ration data: the centres and agents (the network), then card files, with a row report."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sijill.ration.importing import ImportError_, import_cards, import_network


class Command(BaseCommand):
    help = "Import ration centres and agents, then card files (CSV UTF-8 / Windows-1256, XLSX, Parquet)."

    def add_arguments(self, parser):
        parser.add_argument("cards", nargs="*", type=Path, help="card files: one row per member of a card")
        parser.add_argument("--centres", type=Path, help="centres file (code, name, governorate, district)")
        parser.add_argument("--agents", type=Path, help="agents file (number, name, centre, area)")

    def handle(self, *args, cards, centres, agents, **options):
        if bool(centres) != bool(agents):
            raise CommandError("give --centres and --agents together")
        if centres:
            made = import_network(centres, agents)
            self.stdout.write(f"network: {made[0]} centres and {made[1]} agents created (others updated)")
        for path in cards:
            try:
                report = import_cards(path)
            except ImportError_ as e:
                raise CommandError(str(e)) from None
            self.stdout.write(f"{path.name}: {report.rows} rows, {report.created} created, {report.unchanged} "
                              f"unchanged, {report.rejected} rejected, {report.flagged_two_cards} on two cards")
            if report.problems:
                out = path.with_name(path.name + ".errors.csv")
                with open(out, "w", encoding="utf-8-sig", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(["file", "row", "field", "value", "reason"])
                    w.writerows([path.name, p.row, p.field, p.value, p.reason] for p in report.problems)
                self.stdout.write(f"  {len(report.problems)} problems in {out}")
