"""Issue a new self-service PIN for a card (what the centre's clerk does on the card's page); printed once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sijill.ration.models import Card
from sijill.ration.requests import issue_pin


class Command(BaseCommand):
    help = "Issue a new self-service PIN for the head of household of a card (the old one stops working)."

    def add_arguments(self, parser):
        parser.add_argument("card", help="the card number")

    def handle(self, *args, card, **options):
        found = Card.objects.filter(number=card).first()
        if found is None:
            raise CommandError(f"no card {card}")
        self.stdout.write(issue_pin(found, None))
