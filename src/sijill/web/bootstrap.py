"""Set Django up on demand, so that ``sijill --version`` and the pure layers never import it."""

from __future__ import annotations

import os


def setup() -> None:
    """Configure Django from the environment (idempotent); make the data directory when SQLite uses it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sijill.web.settings")
    import django
    from django.apps import apps

    if apps.ready:
        return
    from . import config

    (config.data_dir() / "static").mkdir(parents=True, exist_ok=True)  # the database may live there too
    django.setup()
