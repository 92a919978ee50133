"""Settings for tests/web: the project's settings, SQLite in memory as `default`, and PostgreSQL as a
second database `postgresql` when DATABASE_URL names a reachable server (see conftest.py)."""

import os

from sijill.web import config
from sijill.web.settings import *  # noqa: F403

DATABASES = {"default": config.sqlite(config.data_dir() / "test.sqlite3")}
if os.environ.get("SIJILL_TEST_POSTGRESQL") == "1":
    DATABASES["postgresql"] = {**config.database(os.environ["DATABASE_URL"]), "TEST": {"NAME": "test_sijill_web"}}
DATABASE_ROUTERS = ["backend_router.BackendRouter"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; test_accounts checks Argon2
