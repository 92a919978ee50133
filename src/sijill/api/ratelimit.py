"""A limit of requests per token and minute, counted in the database so that every server process (gunicorn
starts several) counts the same requests without a cache server."""

from __future__ import annotations

import math

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import ApiToken, RateWindow


class RateLimited(Exception):
    def __init__(self, retry_after: int, limit: int):
        super().__init__(f"more than {limit} requests a minute")
        self.retry_after, self.limit = retry_after, limit


def count_request(token: ApiToken) -> int:
    """Count one request of ``token`` in the current minute; raise ``RateLimited`` beyond its limit."""
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    windows = RateWindow.objects.filter(token=token, minute=minute)
    if not windows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateWindow.objects.create(token=token, minute=minute, count=1)
            RateWindow.objects.filter(token=token, minute__lt=minute).delete()
        except IntegrityError:  # another process opened the window first
            windows.update(count=F("count") + 1)
    count = windows.values_list("count", flat=True).first() or 1
    if count > token.rate_per_minute:
        raise RateLimited(max(1, math.ceil(60 - (now - minute).total_seconds())), token.rate_per_minute)
    return count
