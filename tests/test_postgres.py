"""PostgreSQL-specific guarantees (skipped with a reason on SQLite; required in CI)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from bangfu.regions.codes import prefix_bounds
from bangfu.regions.models import Region

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_running_on_postgresql() -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 130000


def test_truncate_of_the_logs_is_refused() -> None:
    with (
        pytest.raises(DatabaseError, match="audit_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditentry")


def test_subtree_range_uses_the_code_index() -> None:
    low, high = prefix_bounds("532822")
    sql, params = (
        Region.objects.filter(code__range=(low, high)).values("id").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table would otherwise be scanned
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "regions_region_code" in plan and "Index" in plan, plan


def test_digit_codes_order_the_same_under_the_database_collation() -> None:
    codes = sorted(Region.objects.values_list("code", flat=True))
    assert list(Region.objects.order_by("code").values_list("code", flat=True)) == codes
