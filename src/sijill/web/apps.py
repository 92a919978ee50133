import os
from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _private_sqlite(sender, connection, **kwargs) -> None:
    """The SQLite database holds everyone's personal data: only the server's own user may read it. SQLite
    creates the file with the process's umask (often 0644), and its -wal and -shm files after the database's
    mode, so the database is made 0600 as soon as it is opened (an older installation's file too)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")):
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            pass


class WebConfig(AppConfig):
    """Holds the shared templates, static files and translations."""

    name = "sijill.web"
    label = "web"

    def ready(self) -> None:
        connection_created.connect(_private_sqlite, dispatch_uid="sijill-private-sqlite")
