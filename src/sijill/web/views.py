from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render

__all__ = ["forbidden", "healthz", "home", "login_not_required"]


# The capabilities that have a page in this release (the others arrive with later issues).
def home(request):
    """What this user's role may do, as links; nothing of the registry is listed here."""
    return render(request, "home.html")


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def forbidden(request, exception=None):
    return render(request, "403.html", status=403)
