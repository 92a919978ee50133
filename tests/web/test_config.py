"""Settings from the environment, safe defaults, fast failure in production, Django kept out of the pure layers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sijill.web import config

ROOT = Path(__file__).resolve().parents[2]

DATABASE_URLS = [
    ("postgresql://sijill:s%40cret@db.example:5433/registry", {
        "ENGINE": "django.db.backends.postgresql", "NAME": "registry", "USER": "sijill", "PASSWORD": "s@cret",
        "HOST": "db.example", "PORT": "5433"}),
    ("postgres://u@localhost/r?sslmode=require", {"NAME": "r", "HOST": "localhost", "OPTIONS": {"sslmode": "require"}}),
    ("sqlite:////var/lib/sijill/db.sqlite3", {"ENGINE": "django.db.backends.sqlite3",
                                              "NAME": "/var/lib/sijill/db.sqlite3"}),
]


@pytest.mark.parametrize(("url", "expected"), DATABASE_URLS)
def test_database_url(url, expected):
    got = config.database(url)
    assert {k: got[k] for k in expected} == expected


def test_sqlite_by_default_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SIJILL_DATA_DIR", str(tmp_path))
    db = config.database()
    assert db["NAME"] == str(tmp_path / "sijill.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_an_unknown_database_is_refused():
    with pytest.raises(config.ConfigurationError, match="DATABASE_URL"):
        config.database("mysql://x/y")


def _settings(env: dict) -> subprocess.CompletedProcess:
    code = ("import sijill.web.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIJILL_") and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60)


def test_production_fails_fast_without_a_secret_key(tmp_path):
    result = _settings({"SIJILL_ENV": "production", "SIJILL_ALLOWED_HOSTS": "registry.example",
                        "SIJILL_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "SIJILL_SECRET_KEY must be set" in result.stderr
    result = _settings({"SIJILL_ENV": "production", "SIJILL_SECRET_KEY": "k" * 50, "SIJILL_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "SIJILL_ALLOWED_HOSTS must be set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_sends_cookies_over_https_only(tmp_path):
    result = _settings({"SIJILL_ENV": "production", "SIJILL_SECRET_KEY": "k" * 50, "SIJILL_DEBUG": "1",
                        "SIJILL_ALLOWED_HOSTS": "registry.example", "SIJILL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True"]


def test_development_keeps_a_generated_key(tmp_path):
    result = _settings({"SIJILL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert _settings({"SIJILL_DATA_DIR": str(tmp_path)}).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    missing = [s.name for s in config.SETTINGS if f"`{s.name}`" not in doc]
    assert not missing, f"document these in docs/web.md: {missing}"


def test_the_pure_layers_and_the_version_never_import_django():
    code = ("import sys, sijill.cli, sijill.identity, sijill.tabular, sijill.web.config, "
            "sijill.registry.importing.rows; assert 'django' not in sys.modules, sorted(m for m in sys.modules "
            "if m.startswith('django'))[:5]")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    out = subprocess.run([str(Path(sys.executable).with_name("sijill")), "--version"], capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.startswith("sijill ")
