"""Engine fixtures: one Spark session for the whole run, for the tests marked ``spark``.

Without PySpark or Java those tests skip with the reason; with ``BANGFU_REQUIRE_SPARK=1`` (CI)
they fail instead, as ``BANGFU_REQUIRE_BROWSER`` does for the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

REQUIRE_SPARK = "BANGFU_REQUIRE_SPARK"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "spark: runs the engine on PySpark in local mode (skipped with a reason without "
        f"PySpark or Java, required with {REQUIRE_SPARK}=1; no database: CI runs them once)",
    )


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """A ``local[2]`` session (UI off, 4 shuffle partitions, 512 MB driver, logs to a file),
    started once; ``bangfu measure --engine spark`` run in-process uses it too."""
    from bangfu.engine import spark

    try:
        session = spark.session(memory="512m")
    except spark.SparkUnavailable as exc:
        if os.environ.get(REQUIRE_SPARK) == "1":
            pytest.fail(f"{REQUIRE_SPARK}=1 but Spark cannot run: {exc}")
        pytest.skip(f"needs PySpark and Java 17+: {exc} (CI installs both)")
    yield session
    session.stop()
