"""Django settings, read from the environment (see ``sijill.web.config`` and docs/web.md)."""

from __future__ import annotations

from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from . import config

WEB_DIR = Path(__file__).resolve().parent
PRODUCTION = config.is_production()
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key()
DEBUG = config.env_bool("SIJILL_DEBUG") and not PRODUCTION
ALLOWED_HOSTS = config.allowed_hosts()
CSRF_TRUSTED_ORIGINS = config.env_list("SIJILL_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "sijill.accounts",
    "sijill.audit",
    "sijill.registry",
    "sijill.exchange",
    "sijill.eligibility",
    "sijill.cases",
    "sijill.tips",
    "sijill.reports",
    "sijill.api",
    "sijill.ration",
    "sijill.damaan",
    "sijill.survey",
    "ninja",  # its docs page's scripts and styles, served from the install (no CDN)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "sijill.web",
    "axes",
    "django_zxcvbn_password_validator",  # its Arabic messages
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sijill.web.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sijill.web.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout response
]

ROOT_URLCONF = "sijill.web.urls"
WSGI_APPLICATION = "sijill.web.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.template.context_processors.csp",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "sijill.accounts.context_processors.capabilities",
    ]},
}]

DATABASES = {"default": config.database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- people, passwords and sessions ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # only to read hashes made elsewhere
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Strength as an attacker guesses it (repeats, keyboard runs, dates, names, l33t), not only length.
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
]
PASSWORD_MINIMAL_STRENGTH = 3  # zxcvbn's score 0-4: 3 is "safely unguessable" against an online attack
PASSWORD_EXTRA_DICTIONARY = ["sijill", "سجل", "molsa", "iraq", "العراق", "baghdad", "بغداد", "ministry", "وزارة"]
LOGIN_MAX_FAILURES = config.env_int("SIJILL_LOGIN_MAX_FAILURES")
LOGIN_LOCKOUT_MINUTES = config.env_int("SIJILL_LOGIN_LOCKOUT_MINUTES")
BEHIND_PROXY = config.env_bool("SIJILL_BEHIND_PROXY")
# The lockout: django-axes guards every login path (this site's and /admin/), per user name and per address.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "sijill.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "sijill.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "sijill.accounts.lockout.cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends with its window, however often tried
AXES_CLIENT_IP_CALLABLE = "sijill.audit.trail.client_ip"
AXES_LOCKOUT_CALLABLE = "sijill.accounts.lockout.lockout_response"
AXES_ENABLE_ADMIN = False  # its records hold attempted user names; the audit trail is where logins are read
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]

HTTPS = config.env_bool("SIJILL_HTTPS", default=PRODUCTION)
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # server-side: a logout ends the session everywhere
SESSION_COOKIE_AGE = config.env_int("SIJILL_SESSION_HOURS") * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "sijill_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_NAME = "sijill_csrftoken"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- language: Arabic first, English on request ---------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [WEB_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Baghdad"
USE_TZ = True

# --- static files: served by the application itself (no CDN, no internet) --------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = not PRODUCTION  # production serves what `sijill serve` collected
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- uploads and the registry ---------------------------------------------------------------------
UPLOAD_MAX_BYTES = config.env_int("SIJILL_UPLOAD_MAX_MB") * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SEARCH_LIMIT = config.env_int("SIJILL_SEARCH_LIMIT")
TIPS_KEY_FILE = config.env("SIJILL_TIPS_KEY_FILE") or ""
SEARCH_PAGE_SIZE = 20
# Visit photos are personal data: kept under the data directory and served only through a checked view.
MEDIA_ROOT = DATA_DIR / "media"

# --- the API for agencies and registry lookups (sijill.api, docs/api.md) ------------------------------
HUB_URL = config.env("SIJILL_HUB_URL") or ""  # the linkage hub (sijill.hub): partner packages go there, never here
API_RECEIVER_ID = "sijill"  # the registry's id in the envelopes' receiver_id / sender_id
API_CLOCK_SKEW_SECONDS = 300  # how far an envelope's message_ts may be from the server's clock
API_SEARCH_MAX_ITEMS = 20  # national IDs in one search message
API_TRANSACTIONS_KEPT_DAYS = 7  # an asynchronous search's answer stays available to txn/status this long

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": config.env("SIJILL_LOG_LEVEL")},
}

# --- background tasks (matching runs): Django's task framework on the database, no broker ---------------
# `sijill worker` runs them (django_tasks_db's db_worker); see docs/exchange.md.
INSTALLED_APPS += ["django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
