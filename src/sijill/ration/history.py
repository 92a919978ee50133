"""The card's history: every change dated, with its reason and where it came from."""

from __future__ import annotations

from django.utils import timezone

from .models import Card, CardEvent, Member


def log_event(card: Card, kind: str, *, member: Member | None = None, source: str, reason: str = "", user=None,
              at=None, **details) -> CardEvent:
    return CardEvent.objects.create(card=card, member=member, at=at or timezone.now(), kind=kind, reason=reason[:300],
                                    source=source[:64], user=user if getattr(user, "pk", None) else None,
                                    details=details)
