"""Settings read from the environment. See docs/operations.md for every variable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BANGFU_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# Development default only; production.py refuses to start without BANGFU_SECRET_KEY.
SECRET_KEY = os.environ.get(
    "BANGFU_SECRET_KEY", "bangfu-development-key-not-for-production-use-0123456789"
)
# Key for field encryption of personal data (used by the registry); base64 of 32 bytes.
BANGFU_DATA_KEY = os.environ.get("BANGFU_DATA_KEY", "")
ALLOWED_HOSTS = [
    h for h in os.environ.get("BANGFU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h
]
BANGFU_TRUSTED_PROXIES = [p for p in os.environ.get("BANGFU_TRUSTED_PROXIES", "").split(",") if p]
# Demo users with a shared password exist only where this is true (never in production).
BANGFU_DEMO_ALLOWED = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "bangfu.core",
    "bangfu.audit",
    "bangfu.regions",
    "bangfu.accounts",
    "bangfu.registry",
    "bangfu.monitoring",
    "bangfu.assistance",
    "bangfu.projects",
    "bangfu.web",
    "bangfu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "bangfu.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bangfu.urls"
WSGI_APPLICATION = "bangfu.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bangfu.web.context.navigation",
            ],
        },
    },
]


def database_config() -> dict[str, Any]:
    """DATABASE_URL, or an SQLite file under var/ in WAL mode (readers never block the writer)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "bangfu.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
BANGFU_LOGIN_MAX_FAILURES = 5
BANGFU_LOGIN_MAX_FAILURES_PER_IP = 30
BANGFU_LOGIN_WINDOW_SECONDS = 15 * 60
BANGFU_TOKEN_TTL_SECONDS = int(os.environ.get("BANGFU_TOKEN_TTL_SECONDS", 12 * 3600))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is absent
# WhiteNoise serves straight from the apps' static folders, so `bangfu serve` needs no
# collectstatic step; production may still collect for compressed copies.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Uploaded import files, their progress and their reports (registry/tasks.py). `bangfu serve`
# and every `bangfu db_worker` must see the same directory.
BANGFU_IMPORT_DIR = Path(os.environ.get("BANGFU_IMPORT_DIR", VAR_DIR / "imports")).resolve()
# Uploaded files kept for good (visit photos): outside the web root, served only through views
# that check the reader's scope.
BANGFU_MEDIA_DIR = Path(os.environ.get("BANGFU_MEDIA_DIR", VAR_DIR / "media")).resolve()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BANGFU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
