"""Database triggers that make a table append-only for every client (the Django admin, a shell,
raw SQL): UPDATE, DELETE (and TRUNCATE on PostgreSQL) are refused with an error whose text
starts with ``code``. Called from migrations (``install`` forwards, ``remove`` backwards)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _sqlite(table: str, code: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{code}: {table} entries cannot be changed'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{code}: {table} entries cannot be deleted'); END",
    ]


def _postgres_function(function: str, code: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{code}: % entries cannot be changed or deleted', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _postgres(table: str, function: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def install(schema_editor: Any, tables: Sequence[str], *, code: str, function: str) -> None:
    """Refuse changes to ``tables``; ``function`` names the PostgreSQL trigger function."""
    vendor = schema_editor.connection.vendor
    statements: list[str] = []
    if vendor == "postgresql":
        statements.append(_postgres_function(function, code))
        for table in tables:
            statements += _postgres(table, function)
    elif vendor == "sqlite":
        for table in tables:
            statements += _sqlite(table, code)
    for sql in statements:
        schema_editor.execute(sql, params=None)


def remove(schema_editor: Any, tables: Sequence[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
