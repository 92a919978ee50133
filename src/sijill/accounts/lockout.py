"""Login lockout on every login path (this site's and the administration's), by django-axes.

Axes counts failures per user name and per address in the database, so the lock holds across every server
process. Two things are ours: one address may fail ``IP_FACTOR`` times more than one user name (a shared
office gateway), and a locked-out login gets the login page back with the Arabic message saying for how long.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sijill.audit.models import Action
from sijill.audit.trail import record

IP_FACTOR = 4  # one address may fail this many times more than one user name (a shared office gateway)
LOCKED_MESSAGE = _("Too many failed logins. Try again in %(minutes)d minutes.")


def failure_limit(request, credentials) -> int:
    return settings.LOGIN_MAX_FAILURES


def cool_off(request=None) -> dt.timedelta:
    return dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, weighing an address's failures by ``IP_FACTOR`` (the lockout parameters are
    ``["username", "ip_address"]``, in that order)."""

    def get_failures(self, request, credentials=None) -> int:
        by_user, *by_address = (qs.aggregate(n=Sum("failures_since_start"))["n"] or 0
                                for qs in self.get_user_attempts(request, credentials))
        return max([by_user, *(n // IP_FACTOR for n in by_address)])

    def locked_until(self, request, credentials=None) -> dt.datetime:
        latest = [qs.aggregate(t=Max("attempt_time"))["t"] for qs in self.get_user_attempts(request, credentials)]
        return max((t for t in latest if t), default=timezone.now()) + get_cool_off(request)


def minutes_left(request, credentials=None) -> int:
    until = LockoutHandler().locked_until(request, credentials)
    return max(1, math.ceil((until - timezone.now()).total_seconds() / 60))


def lockout_response(request, original_response, credentials=None):
    """The login page as the view answered it (its form already says the login is locked), with 429, and
    the refusal in the audit trail."""
    username = str((credentials or {}).get("username", "") or request.POST.get("username", ""))[:150]
    record(Action.LOGIN_BLOCKED, request=request, actor=username or "anonymous", path=request.path)
    original_response.status_code = 429
    return original_response


class LockedLoginMixin:
    """For a login form: when axes refused the attempt, say so (and for how long) instead of "wrong password"."""

    error_messages_locked = LOCKED_MESSAGE

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise forms.ValidationError(
                    self.error_messages_locked, code="locked",
                    params={"minutes": minutes_left(self.request, getattr(self.request, "axes_credentials", None))},
                ) from None
            raise
