"""ADBC's SQLite reading a database another SQLite library holds open in the same process (as
Django's does in ``bangfu serve`` and ``bangfu demo``): closing the reader must not delete the
write-ahead log under the other connection. A writable ADBC connection did — it cannot see
the other library's connections, believed itself the last, checkpointed and deleted -wal and
-shm — and the server's next writes failed with "disk I/O error"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

adbc_sqlite = pytest.importorskip("adbc_driver_sqlite.dbapi")

from bangfu.monitoring.reading import sqlite_read_only_uri  # noqa: E402


def _held_open(path: Path) -> sqlite3.Connection:
    held = sqlite3.connect(path)
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("CREATE TABLE t (x INTEGER)")
    held.execute("INSERT INTO t VALUES (1)")
    held.commit()
    return held


def _read_and_close(uri: str) -> None:
    reader = adbc_sqlite.connect(uri)
    cursor = reader.cursor()
    cursor.execute("SELECT count(*) FROM t")
    assert cursor.fetchone() == (1,)
    cursor.close()
    reader.close()


def test_a_read_only_reader_leaves_the_other_connections_log_alone(tmp_path: Path) -> None:
    path = tmp_path / "space in name.sqlite3"
    held = _held_open(path)
    _read_and_close(sqlite_read_only_uri(str(path)))
    assert (tmp_path / "space in name.sqlite3-wal").exists()
    assert (tmp_path / "space in name.sqlite3-shm").exists()
    held.execute("INSERT INTO t VALUES (2)")  # the other connection goes on writing
    held.commit()
    held.close()
    assert sqlite3.connect(path).execute("SELECT sum(x) FROM t").fetchone() == (3,)


def test_a_writable_reader_deleted_it_which_is_why_the_reader_is_read_only(
    tmp_path: Path,
) -> None:
    """The failure the read-only URI prevents (this test fails if ADBC's SQLite ever learns
    to see the other library's connections: the comment in ``reading`` would then be moot)."""
    path = tmp_path / "db.sqlite3"
    held = _held_open(path)
    _read_and_close(str(path))
    assert not (tmp_path / "db.sqlite3-wal").exists()
    held.close()
