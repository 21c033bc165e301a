"""The donations ledger is append-only by the database's own rule: a wrong entry is corrected by
a reversing entry, never changed or deleted, whatever client writes (admin, shell, raw SQL)."""

from django.db import migrations

from bangfu.core import append_only

TABLES = ("assistance_donationentry",)


def install(apps, schema_editor):
    append_only.install(
        schema_editor, TABLES, code="ledger_append_only", function="bangfu_refuse_ledger_change"
    )


def remove(apps, schema_editor):
    append_only.remove(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
