"""Tests: the base settings with a fast password hasher (one test checks Argon2 separately)."""

from __future__ import annotations

from bangfu.settings.base import *  # noqa: F403
from bangfu.settings.base import PASSWORD_HASHERS as PRODUCTION_HASHERS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_HASHERS]
BANGFU_PRODUCTION_HASHERS = PRODUCTION_HASHERS

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os
    import tempfile

    # Monitoring reads the registry through ADBC, a second connection of its own: the test
    # database must be a file it can open, not Django's default in-memory database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"bangfu-test-{os.getpid()}.sqlite3")
    }
