"""Shared fixtures. The reference regions, pairings and demo users are loaded once per session
(tests run inside a transaction that is rolled back, so each test sees them unchanged)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
REQUIRE_SPARK = "BANGFU_REQUIRE_SPARK"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "spark: runs the engine on PySpark in local mode (skipped with a reason without "
        f"PySpark or Java, required with {REQUIRE_SPARK}=1; CI runs them once, on SQLite)",
    )


def _required(name: str) -> bool:
    return os.environ.get(name, "") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL and browser tests skip with a visible reason locally and are required in CI."""
    on_postgres = connection.vendor == "postgresql"
    if _required("BANGFU_REQUIRE_POSTGRES") and not on_postgres:
        raise pytest.UsageError("BANGFU_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
    has_browser = shutil.which(CHROMIUM) is not None
    if _required("BANGFU_REQUIRE_BROWSER") and not has_browser:
        raise pytest.UsageError(f"BANGFU_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgresql://… (CI does)")
    skip_browser = pytest.mark.skip(
        reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium; CI does)"
    )
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not has_browser:
            item.add_marker(skip_browser)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from bangfu.demo.builder import build_demo

    with django_db_blocker.unblock():
        build_demo(seed=2020)


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    """The demo users by username (admin, auditor, songjiang-office, menghai-county, …)."""
    from bangfu.accounts.models import User

    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def client_for(db: Any) -> Callable[[str], Client]:
    """A web client signed in as the named demo user."""
    from bangfu.accounts.models import User

    def make(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


@pytest.fixture
def api_token(db: Any) -> Callable[[str], dict[str, str]]:
    """Authorization headers with a fresh bearer token for the named demo user."""
    from bangfu.accounts.models import User
    from bangfu.accounts.services import token_issue

    def make(username: str) -> dict[str, str]:
        token, _ = token_issue(user=User.objects.get(username=username))
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def region(db: Any) -> Callable[[str], Any]:
    from bangfu.regions.models import Region

    return lambda code: Region.objects.get(code=code)


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """The URL of a PostgreSQL database of the test's own on the test server (created empty,
    dropped afterwards): for commands run in subprocesses, which must commit where the test
    database's rolled-back transaction cannot be seen. PostgreSQL tests only."""
    import os

    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    server = {
        "host": settings["HOST"] or "localhost",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
    }
    name = f"bangfu_own_{os.getpid()}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"postgresql://{auth}@{server['host']}:{server['port']}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """Code-level tests read messages in English; requests still negotiate their own language
    (Chinese by default, English with ``Accept-Language: en`` or the language switch)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """A ``local[2]`` session (UI off, 4 shuffle partitions, 512 MB driver, logs to a file),
    started once for the tests marked ``spark``; the engine's own calls reuse it."""
    from bangfu.engine import spark

    try:
        session = spark.session(memory="512m")
    except spark.SparkUnavailable as exc:
        if os.environ.get(REQUIRE_SPARK) == "1":
            pytest.fail(f"{REQUIRE_SPARK}=1 but Spark cannot run: {exc}")
        pytest.skip(f"needs PySpark and Java 17+: {exc} (CI installs both)")
    yield session
    session.stop()
