"""The probe's smaller findings: pages with personal data kept out of caches, the SQLite file readable by the
server's user only, a tip's subject key within its column, an alert when one user runs too many searches."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from conftest import make_user
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/registry/search/", "/registry/overview/", "/audit/", "/accounts/login/"])
def test_pages_are_never_stored_by_a_cache(path):
    client = Client()
    client.force_login(make_user("administrator", "boss"))
    response = client.get(path)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path


def test_the_api_answers_are_never_stored_by_a_cache():
    assert "no-store" in Client().get("/api/v1/openapi.json")["Cache-Control"]


def test_static_assets_stay_cacheable():
    response = Client().get("/static/sijill/sijill.css")
    assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")


def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    env = {**os.environ, "SIJILL_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "sijill.web.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", "import os; os.umask(0o022); from sijill.cli import app; app()",
                    "manage", "migrate", "--verbosity", "0"], env=env, check=True, timeout=300)
    files = [p for p in tmp_path.glob("sijill.sqlite3*") if not p.name.endswith("audit-lock")]
    assert files and {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {
        p.name: "0o600" for p in files}
