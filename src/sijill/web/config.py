"""Every setting the web system reads from the environment, declared as data (name, default, help).

``docs/web.md`` documents each one; a test checks that none is missing there. Pure Python: no Django.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from sijill.files import create_private


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message names the environment variable."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str


SETTINGS = [
    Setting("SIJILL_ENV", "development",
            "development or production. Production refuses to start without SIJILL_SECRET_KEY and "
            "SIJILL_ALLOWED_HOSTS, and sends cookies only over HTTPS."),
    Setting("SIJILL_SECRET_KEY", None,
            "Django's secret key. Required in production. In development a random key is kept in "
            "SIJILL_DATA_DIR/secret_key."),
    Setting("SIJILL_DATA_DIR", "var",
            "Where the SQLite database, the development secret key and collected static files live "
            "(relative to the working directory)."),
    Setting("DATABASE_URL", None,
            "postgresql://USER:PASSWORD@HOST:PORT/NAME for PostgreSQL (psycopg 3); unset: SQLite "
            "(WAL) at SIJILL_DATA_DIR/sijill.sqlite3. sqlite:///PATH is accepted too."),
    Setting("SIJILL_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]",
            "Comma-separated host names the server answers to. Required in production."),
    Setting("SIJILL_CSRF_TRUSTED_ORIGINS", "",
            "Comma-separated origins (https://registry.example) allowed to POST when behind a proxy."),
    Setting("SIJILL_HTTPS", None,
            "1 when users reach the server over HTTPS (default: 1 in production, 0 in development): "
            "secure cookies, HSTS and the redirect to HTTPS."),
    Setting("SIJILL_BEHIND_PROXY", "0",
            "1 to trust X-Forwarded-Proto and X-Forwarded-For from a reverse proxy."),
    Setting("SIJILL_DEBUG", "0", "1 shows Django's debug pages (development only; never in production)."),
    Setting("SIJILL_SESSION_HOURS", "8", "How long a login lasts; sessions also end when the browser closes."),
    Setting("SIJILL_LOGIN_MAX_FAILURES", "5",
            "Failed logins for one user name (or 4x this from one address) before logins are refused."),
    Setting("SIJILL_LOGIN_LOCKOUT_MINUTES", "15", "How long logins stay refused after too many failures."),
    Setting("SIJILL_SEARCH_LIMIT", "100", "The most results one search returns (shown 20 a page)."),
    Setting("SIJILL_UPLOAD_MAX_MB", "200", "The largest file the import page accepts."),
    Setting("SIJILL_LOG_LEVEL", "INFO", "Log level of the server's log (written to standard error)."),
    Setting("SIJILL_TIPS_KEY_FILE", None,
            "The private key that opens hotline callers' identities (default SIJILL_DATA_DIR/keys/tips.key, "
            "mode 0600). Keep it on the server only, never in the database or a backup of it."),
]
_DEFAULTS = {s.name: s.default for s in SETTINGS}


def env(name: str) -> str | None:
    """The value of a declared setting: the environment's, else its default."""
    if name not in _DEFAULTS:
        raise KeyError(f"{name} is not a declared setting (add it to sijill.web.config.SETTINGS)")
    value = os.environ.get(name)
    return value if value not in (None, "") else _DEFAULTS[name]


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={value!r}: write 1 or 0")


def env_int(name: str) -> int:
    value = env(name) or ""
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r}: must be a whole number") from None


def env_list(name: str) -> list[str]:
    return [item.strip() for item in (env(name) or "").split(",") if item.strip()]


def is_production() -> bool:
    mode = (env("SIJILL_ENV") or "").strip().lower()
    if mode not in ("development", "production"):
        raise ConfigurationError(f"SIJILL_ENV={mode!r}: write development or production")
    return mode == "production"


def allowed_hosts() -> list[str]:
    if is_production() and not os.environ.get("SIJILL_ALLOWED_HOSTS"):
        raise ConfigurationError("SIJILL_ALLOWED_HOSTS must be set when SIJILL_ENV=production "
                                 "(the host names users type, comma-separated)")
    return env_list("SIJILL_ALLOWED_HOSTS")


def data_dir() -> Path:
    return Path(env("SIJILL_DATA_DIR") or "var").expanduser().resolve()


def secret_key() -> str:
    """The secret key: from SIJILL_SECRET_KEY; in development, else from a file made on first use."""
    key = env("SIJILL_SECRET_KEY")
    if key:
        if is_production() and len(key) < 32:
            raise ConfigurationError("SIJILL_SECRET_KEY is too short for production: use 50 random characters")
        return key
    if is_production():
        raise ConfigurationError("SIJILL_SECRET_KEY must be set when SIJILL_ENV=production "
                                 "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')")
    path = data_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with create_private(path) as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database(url: str | None = None) -> dict:
    """Django's DATABASES["default"] from DATABASE_URL (PostgreSQL or SQLite), else SQLite in the data dir."""
    url = url if url is not None else env("DATABASE_URL")
    if not url:
        return sqlite(data_dir() / "sijill.sqlite3")
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return sqlite(Path(unquote(parts.path[1:] if parts.path.startswith("//") else parts.path)))
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ConfigurationError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}; use postgresql:// or sqlite://")
    options = dict(parse_qsl(parts.query))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


def sqlite(path: Path) -> dict:
    """SQLite in WAL mode; every transaction takes the write lock at its start, so that two writers
    never deadlock on a lock upgrade (the audit chain writes from several server processes)."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                             "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"),
        },
    }
