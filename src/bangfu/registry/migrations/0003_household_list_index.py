"""The household list's index: (village, number, status, latest income per person).

It replaces the index on (village, number), the index on status and the foreign key's own
index on village (a prefix of the new one). The foreign key's index is dropped by name, not by
``AlterField``: on SQLite ``AlterField`` copies the whole table to change an index. The name is
the one Django gave it in 0001 (the same on SQLite and PostgreSQL), and ``DROP INDEX IF EXISTS``
/ ``CREATE INDEX`` are the same statements on both.
"""

import django.db.models.deletion
from django.db import migrations, models

FK_INDEX = "registry_household_village_id_79724fcd"


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_field_labels"),
        ("registry", "0002_id_conflict"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="household",
            index=models.Index(
                fields=["village", "household_no", "status", "latest_net_income_pc"],
                name="household_village_list",
            ),
        ),
        migrations.RemoveIndex(model_name="household", name="household_village"),
        migrations.RemoveIndex(model_name="household", name="household_status"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="village",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="households",
                        to="regions.region",
                        verbose_name="village",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FK_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{FK_INDEX}" ON "registry_household" ("village_id")',
                ),
            ],
        ),
    ]
