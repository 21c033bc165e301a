"""Production: secrets must come from the environment; HTTPS-only cookies; no demo users."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from bangfu.settings.base import *  # noqa: F403
from bangfu.settings.base import env_bool

DEBUG = False
BANGFU_DEMO_ALLOWED = False

SECRET_KEY = os.environ.get("BANGFU_SECRET_KEY", "")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "BANGFU_SECRET_KEY must be set to a random string of at least 50 characters in production."
    )

SECURE_SSL_REDIRECT = env_bool("BANGFU_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("BANGFU_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
