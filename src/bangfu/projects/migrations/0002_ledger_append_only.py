"""The fund ledger is append-only by the database's own rule: entries, postings and closed
months are never changed or deleted, whatever client writes (admin, shell, raw SQL)."""

from django.db import migrations

from bangfu.core import append_only

TABLES = ("projects_entry", "projects_posting", "projects_closedmonth")


def install(apps, schema_editor):
    append_only.install(
        schema_editor, TABLES, code="ledger_append_only", function="bangfu_refuse_fund_change"
    )


def remove(apps, schema_editor):
    append_only.remove(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
