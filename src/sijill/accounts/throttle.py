"""Login throttling: after too many failures for a user name (or from one address), logins are refused
for a while. Kept in the database, so it holds across every server process."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from sijill.audit.trail import client_ip  # noqa: F401 - the address a login came from

from .models import LoginAttempt

IP_FACTOR = 4  # one address may fail this many times more than one user name (a shared office gateway)


def locked_until(username: str, ip: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """When logins for this user name or address will be accepted again, or None if they are now."""
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    limit = settings.LOGIN_MAX_FAILURES
    recent = LoginAttempt.objects.filter(at__gt=now - window)
    last_ok = recent.filter(username=username, succeeded=True).aggregate(t=Max("at"))["t"]
    mine = recent.filter(username=username, succeeded=False)
    if last_ok:
        mine = mine.filter(at__gt=last_ok)
    checks = [mine.order_by("-at").values_list("at", flat=True)[: limit]]
    if ip:
        checks.append(recent.filter(ip=ip, succeeded=False).order_by("-at").values_list("at", flat=True)
                      [: limit * IP_FACTOR])
    until = None
    for check, needed in zip(checks, (limit, limit * IP_FACTOR), strict=False):
        times = list(check)
        if len(times) >= needed:
            candidate = times[0] + window
            until = max(until, candidate) if until else candidate
    return until


def record(username: str, ip: str | None, succeeded: bool) -> None:
    LoginAttempt.objects.create(username=username[:150], ip=ip, at=timezone.now(), succeeded=succeeded)
