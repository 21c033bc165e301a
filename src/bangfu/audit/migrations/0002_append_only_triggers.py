"""Database triggers that refuse UPDATE and DELETE on the logs, for every client (the Django
admin, a shell, raw SQL): the log is append-only by the database's own rule."""

from django.db import migrations

from bangfu.core import append_only

TABLES = ("audit_auditentry", "audit_accesslogentry")


def install(apps, schema_editor):
    append_only.install(
        schema_editor, TABLES, code="audit_append_only", function="bangfu_refuse_change"
    )


def remove(apps, schema_editor):
    append_only.remove(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
