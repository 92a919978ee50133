"""Damaan's insured-workers extract for the social registry's cycles (sijill.damaan.holder)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from sijill.damaan.holder import write_extract


class Command(BaseCommand):
    help = ("Write the insured-workers extract (the columns of the `insured` linkage schema) that Damaan encodes "
            "with `sijill encode --schema insured` for a cycle.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the CSV file to write")

    def handle(self, *args, path: Path, **options):
        rows = write_extract(path)
        self.stdout.write(f"{rows:,} insured workers written to {path}")
