"""Settings for tests/web: the project's settings, SQLite in memory as `default`, and PostgreSQL as a
second database `postgresql` when DATABASE_URL names a reachable server (see conftest.py)."""

import os

from sijill.web import config
from sijill.web.settings import *  # noqa: F403

DATABASES = {"default": config.sqlite(config.data_dir() / "test.sqlite3")}
_SUFFIX = os.environ.get("SIJILL_TEST_DB_SUFFIX", "")  # a test database of one's own on a shared server
if os.environ.get("SIJILL_TEST_DEFAULT_DB") == "postgresql":
    # the whole of the selected suites on PostgreSQL (.ci/run): `default` is the server DATABASE_URL names
    DATABASES["default"] = {**config.database(os.environ["DATABASE_URL"]),
                            "TEST": {"NAME": f"test_sijill_default{_SUFFIX}"}}
elif os.environ.get("SIJILL_TEST_POSTGRESQL") == "1":
    DATABASES["postgresql"] = {**config.database(os.environ["DATABASE_URL"]),
                               "TEST": {"NAME": f"test_sijill_web{_SUFFIX}"}}
DATABASE_ROUTERS = ["backend_router.BackendRouter"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; test_accounts checks Argon2
