"""The WSGI application (what `sijill serve` runs under gunicorn)."""

from __future__ import annotations

from django.core.wsgi import get_wsgi_application

from .bootstrap import setup

setup()
application = get_wsgi_application()
