"""Send every query to the database a test chose (``with on("postgresql"):``); by default, `default`.

The services ask ``router.db_for_write`` which database to use, as multi-database Django code should,
so the same test runs unchanged on SQLite and on PostgreSQL.
"""

import threading
from contextlib import contextmanager

_chosen = threading.local()


class BackendRouter:
    def db_for_read(self, model, **hints):
        return getattr(_chosen, "alias", None)

    db_for_write = db_for_read


@contextmanager
def on(alias: str):
    previous = getattr(_chosen, "alias", None)
    _chosen.alias = alias
    try:
        yield alias
    finally:
        _chosen.alias = previous
