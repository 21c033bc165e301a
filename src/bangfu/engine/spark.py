"""The engine on PySpark (``bangfu measure --engine spark``): a local Spark session started on
demand, the survey file read into it, and results collected back through Arrow.

PySpark is optional (``make install-spark``; it needs Java 17+), so nothing here imports it
before a session is asked for: the rest of the engine, ``make demo`` and ``make test`` run
without it. The measures are the same Narwhals functions as on Polars
(``bangfu.engine.measures``); this module only starts Spark, reads files and collects.

The session is Spark in local mode, ``local[2]``: the driver JVM runs the work on two threads
of this machine. Its console output (JVM warnings, Spark's log) goes to a log file in a
scratch directory that also holds Spark's temporary files and is removed when Python exits,
so that standard output carries only the result and standard error only our one-line
messages. A session already running in the process (a notebook's, a test fixture's) is used
as it is.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

__all__ = [
    "MASTER",
    "NOT_INSTALLED",
    "SparkFailed",
    "SparkUnavailable",
    "available",
    "collect",
    "failures",
    "find_java",
    "read",
    "session",
    "spark_frames",
    "to_polars",
]

MASTER = "local[2]"
MIN_JAVA = 17
NOT_INSTALLED = "PySpark is not installed: make install-spark (needs Java 17+)"


class SparkUnavailable(RuntimeError):
    """Spark cannot start here: PySpark or Java is missing, or the JVM failed (one line)."""


class SparkFailed(RuntimeError):
    """A Spark job failed (the message is the first line of Spark's own)."""


# -- starting ----------------------------------------------------------------------------------


def _pyspark() -> None:
    try:
        import pyspark.sql  # noqa: F401 (the spark extra pins pandas < 3, which PySpark 4.3 supports)
    except ImportError:
        raise SparkUnavailable(NOT_INSTALLED) from None


def java_version(java: str) -> int | None:
    """The major version of ``java`` (``1.8`` → 8, ``17.0.15`` → 17), None if unreadable."""
    try:
        done = subprocess.run(  # noqa: S603 (our own argument list, no shell)
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def find_java() -> str:
    """The ``java`` that Spark's launcher will run (``$JAVA_HOME/bin/java``, else the one on
    PATH), checked to be version 17 or later; ``SparkUnavailable`` otherwise."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH"
        raise SparkUnavailable(
            f"Java not found ({where}): --engine spark needs Java {MIN_JAVA}+ "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    version = java_version(java)
    if version is not None and version < MIN_JAVA:
        raise SparkUnavailable(
            f"Java {version} at {java} is too old: --engine spark needs Java {MIN_JAVA}+"
        )
    return java


def _settings(memory: str, scratch: str) -> dict[str, str]:
    return {
        "spark.driver.memory": memory,
        "spark.ui.enabled": "false",  # no web UI listening on a port
        "spark.ui.showConsoleProgress": "false",  # no progress bars on stderr
        # Spark's default of 200 shuffle partitions means 200 tiny tasks for two cores.
        "spark.sql.shuffle.partitions": "4",
        # Local only: no host name lookup (and its warning), nothing bound to the network.
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.local.dir": scratch,
        # PySpark records the Python call site of every Column it builds, a few JVM round
        # trips each; the measures build thousands of them (seconds per plan).
        "spark.python.sql.dataFrameDebugging.enabled": "false",
    }


def _active() -> Any:
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def available() -> None:
    """Raise ``SparkUnavailable`` (one line) unless a Spark session can run here: PySpark
    importable and, unless a session is already running, Java 17+ found. Starts nothing."""
    _pyspark()
    if _active() is None:
        find_java()


def session(*, memory: str = "1g") -> Any:
    """The running Spark session, or a new ``local[2]`` one with ``memory`` for the driver.

    Raises ``SparkUnavailable`` with a one-line reason when PySpark or Java is missing or the
    JVM does not start."""
    available()
    active = _active()
    return active if active is not None else _start(memory)


def _start(memory: str) -> Any:
    from pyspark import SparkConf, SparkContext, java_gateway
    from pyspark.sql import SparkSession

    # PySpark leaves this one untyped; it is the only way to give the JVM our log file.
    launch_gateway: Callable[..., Any] = java_gateway.launch_gateway

    scratch = tempfile.mkdtemp(prefix="bangfu-spark-")
    # Removed when Python exits; the JVM ends with this process (it watches our stdin pipe).
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    conf = SparkConf().setMaster(MASTER).setAppName("bangfu-measure")
    conf.setAll(list(_settings(memory, scratch).items()))
    log_path = Path(scratch) / "spark.log"
    gateway = None
    if SparkContext._gateway is None:  # a stopped session leaves its JVM to reuse
        with log_path.open("wb") as log:
            try:
                gateway = launch_gateway(
                    conf, popen_kwargs={"stdout": log, "stderr": subprocess.STDOUT}
                )
            except Exception as exc:  # PySparkRuntimeError, OSError: the JVM did not start
                raise SparkUnavailable(
                    f"Spark did not start: {_last_line(log_path, exc)}"
                ) from None
    context = SparkContext(conf=conf, gateway=gateway)
    context.setLogLevel("ERROR")
    # PySpark logs a failed query's context to stderr itself (our message says it in one
    # line), and py4j logs each connection it closes, down to interpreter exit.
    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return SparkSession(context)


def _last_line(log: Path, exc: Exception) -> str:
    """The JVM's last error line from its log, else the exception's first line."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        lines = []
    errors = [ln for ln in lines if "error" in ln.lower() or "exception" in ln.lower()]
    return (errors or lines or [first_line(exc)])[-1]


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- reading -----------------------------------------------------------------------------------


_scratch: list[str] = []


def _scratch_file() -> Path:
    """A new Parquet path in this process's scratch directory (removed at exit)."""
    if not _scratch:
        _scratch.append(tempfile.mkdtemp(prefix="bangfu-spark-data-"))
        atexit.register(shutil.rmtree, _scratch[0], ignore_errors=True)
    return Path(_scratch[0]) / f"{uuid.uuid4().hex}.parquet"


def read(path: str | Path, scan: pl.LazyFrame, columns: Sequence[str]) -> Any:
    """The file as a Spark DataFrame, in the running (or a new) session.

    Parquet is read by Spark as it is. A CSV file is not: Polars has already parsed it (the
    data checks run on ``scan``) and writes the named ``columns`` to a temporary Parquet file
    that Spark reads, so both engines see the same values and types. Spark's own CSV reader
    differs from Polars' in ways that change figures silently: it infers other types, and a
    quoted field holding a line break splits the record unless the whole file is parsed by
    one task."""
    spark = session()
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return spark.read.parquet(str(path))
    copy = _scratch_file()
    scan.select(list(dict.fromkeys(columns))).sink_parquet(copy)
    return spark.read.parquet(str(copy))


def spark_frames(frames: Mapping[str, pl.DataFrame]) -> dict[str, Any]:
    """Polars frames as Spark DataFrames in the running (or a new) session.

    Each goes through a Parquet file in the scratch directory. ``createDataFrame`` would put
    the rows in the query plan itself (a ``LocalRelation``), and Spark's optimizer then
    computes the measures' projections over them row by row, interpreted, while planning:
    seconds more per plan for 20,000 rows."""
    spark = session()
    out = {}
    for name, frame in frames.items():
        path = _scratch_file()
        frame.write_parquet(path)
        out[name] = spark.read.parquet(str(path))
    return out


def to_polars(frame: Any) -> pl.DataFrame:
    """A Spark DataFrame (native or Narwhals) collected into a Polars frame, via Arrow."""
    return collect({"frame": nw.from_native(frame)})["frame"]


# -- collecting --------------------------------------------------------------------------------


@contextmanager
def failures() -> Iterator[None]:
    """Turn PySpark's and py4j's exceptions inside the block into ``SparkFailed``."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as exc:
        raise SparkFailed(_reason(exc)) from None


def collect(plans: Mapping[str, nw.LazyFrame[Any]]) -> dict[str, pl.DataFrame]:
    """Run each Spark plan and bring its (small) result back as a Polars frame, via Arrow."""
    with failures():
        return {name: plan.collect("polars").to_native() for name, plan in plans.items()}


def _reason(exc: Exception) -> str:
    """The innermost Java cause's first line: Spark wraps a failed task's error in "Job aborted
    due to stage failure: …", sometimes several times over."""
    # Py4JJavaError keeps the Java exception in java_exception, PySpark's own in _origin.
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if java is None:
        return first_line(exc)
    while java.getCause() is not None:
        java = java.getCause()
    return first_line(Exception(java.getMessage() or java.toString()))
