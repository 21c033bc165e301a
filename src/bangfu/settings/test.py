"""Tests: the base settings with a fast password hasher (one test checks Argon2 separately)."""

from __future__ import annotations

from bangfu.settings.base import *  # noqa: F403
from bangfu.settings.base import PASSWORD_HASHERS as PRODUCTION_HASHERS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_HASHERS]
BANGFU_PRODUCTION_HASHERS = PRODUCTION_HASHERS
