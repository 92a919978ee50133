"""Django for tests/web only: the pure layers' tests never load it.

PostgreSQL: the model, import, search and audit tests run on SQLite and on the server DATABASE_URL names.
Outside CI they are skipped (saying why) when no server answers; with CI=true they must run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgresql_reachable() -> str | None:
    """None when DATABASE_URL names a PostgreSQL server that answers; else why not."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not name a PostgreSQL server (postgresql://USER:PASSWORD@HOST/NAME)"
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as e:
        return f"no PostgreSQL server answers at DATABASE_URL ({str(e).strip().splitlines()[0]})"
    return None


POSTGRESQL_MISSING = _postgresql_reachable()
# SIJILL_TEST_DEFAULT_DB=postgresql: whole suites run on PostgreSQL as `default` (.ci/run does it for the suites
# that touch case work, tips, permissions, the API, the exchange and reports)
PG_DEFAULT = os.environ.get("SIJILL_TEST_DEFAULT_DB") == "postgresql"
if PG_DEFAULT and POSTGRESQL_MISSING:
    raise RuntimeError(f"SIJILL_TEST_DEFAULT_DB=postgresql, but {POSTGRESQL_MISSING}")
os.environ["SIJILL_TEST_POSTGRESQL"] = "0" if POSTGRESQL_MISSING else "1"
os.environ.setdefault("SIJILL_DATA_DIR", tempfile.mkdtemp(prefix="sijill-tests-"))
os.environ.setdefault("SIJILL_SECRET_KEY", "tests-only-" + "x" * 40)
os.environ["SIJILL_ENV"] = "development"
os.environ["DJANGO_SETTINGS_MODULE"] = "sijill_test_settings"

import django  # noqa: E402

django.setup()

from backend_router import on  # noqa: E402


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """Run the test on SQLite, then on PostgreSQL; the test needs ``django_db(databases="__all__")``."""
    if request.param == "postgresql":
        if PG_DEFAULT:
            pytest.skip("the default database of this run is PostgreSQL: the test ran on it as `default`")
        if POSTGRESQL_MISSING:
            if IN_CI:
                pytest.fail(f"CI must run the PostgreSQL tests, but {POSTGRESQL_MISSING}")
            pytest.skip(f"PostgreSQL tests skipped: {POSTGRESQL_MISSING}; .ci/run starts one")
        with on("postgresql") as alias:
            yield alias
    else:
        with on("default") as alias:
            yield alias


def make_user(role: str, username: str | None = None, governorates=(), **extra):
    from sijill.accounts.models import User

    user = User.objects.create_user(username or role, password="pw-" + role, role=role,
                                    governorates=list(governorates), **extra)
    return user


@pytest.fixture
def people(db):
    """The members, households, enrolments and payments of tests/web/data, imported into `default`."""
    from sijill.registry.importing.service import import_file

    for schema in ("members", "households", "enrolments", "payments"):
        import_file(DATA / f"{schema}.csv", schema, actor="fixture")


@pytest.fixture
def hub(settings, tmp_path):
    """The linkage hub, its own service over its own data folder, and the ministry pointed at it."""
    from hubtest import start_local_hub

    local = start_local_hub(tmp_path / "hub-data")
    settings.HUB_URL = local.url
    yield local
    local.stop()


@pytest.fixture
def in_process_worker(monkeypatch):
    """The real database task worker, run inside the test: it closes "old" connections between tasks, and inside
    the test's transaction Django counts the test's own PostgreSQL connection as old (SQLite's in-memory test
    database is never closed). Here it keeps it; everything else of the worker is as in production."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
