"""The view decorator that enforces the capability matrix: 403 for a user whose role lacks it."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .models import Action
from .trail import record


def deny(request, reason: str, **details) -> PermissionDenied:
    """Write the refusal to the audit trail and return the exception to raise."""
    record(Action.DENIED, request=request, path=request.path, reason=reason, **details)
    return PermissionDenied(reason)


def requires(capability: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.can(capability):
                raise deny(request, f"role lacks {capability}")
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator
